using Microsoft.Extensions.Hosting;

namespace BrazeFunctions.Tests.Hosting;

/// <summary>A hosted service that writes "<c>name</c> started" to a journal: stands for the Functions worker's own hosted service, registered before the app's.</summary>
internal sealed class StartRecorder(List<string> journal, string name) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        journal.Add(name + " started");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
