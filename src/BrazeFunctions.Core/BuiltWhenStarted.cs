using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace BrazeFunctions.Core;

/// <summary>
/// A hosted service built when the host starts it, in its turn, rather than when the host lists its hosted services.
/// The host builds every listed service before it starts the first one, and the first is the Functions worker's
/// connection to the host: a service whose construction parses the templates or builds the storage and Braze clients
/// held that connection back (about 0.25 s of the relay's cold start under the real host). Built here, the service is
/// still built and started during start-up, and whatever its construction or start throws still stops start-up.
/// </summary>
internal sealed class BuiltWhenStarted<T>(IServiceProvider services) : IHostedService
    where T : class, IHostedService
{
    private T? _service;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _service = services.GetRequiredService<T>();
        return _service.StartAsync(cancellationToken);
    }

    /// <summary>Stops the service if the host started it; one the host never reached has nothing to stop.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _service?.StopAsync(cancellationToken) ?? Task.CompletedTask;
}
