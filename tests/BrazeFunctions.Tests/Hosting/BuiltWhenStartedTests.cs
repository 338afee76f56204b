using BrazeFunctions.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace BrazeFunctions.Tests.Hosting;

/// <summary>A hosted service registered through <see cref="BuiltWhenStarted{T}"/> is built when the host starts it, not when the host lists its services.</summary>
public sealed class BuiltWhenStartedTests
{
    [Fact]
    public async Task Listing_BuildsNothing_StartBuildsAndStartsInTurn()
    {
        var journal = new List<string>();
        using var provider = Services(journal, fails: false);

        var hosted = provider.GetServices<IHostedService>().ToList();
        Assert.Empty(journal);

        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        Assert.Equal(["first started", "built", "started"], journal);
        Assert.Same(provider.GetRequiredService<Recorded>(), provider.GetRequiredService<Recorded>());
    }

    [Fact]
    public async Task Stop_StopsTheServiceTheHostStarted()
    {
        var journal = new List<string>();
        using var provider = Services(journal, fails: false);
        var wrapper = provider.GetServices<IHostedService>().Last();

        await wrapper.StartAsync(CancellationToken.None);
        await wrapper.StopAsync(CancellationToken.None);

        Assert.Equal(["built", "started", "stopped"], journal);
    }

    [Fact]
    public async Task Stop_NeverStarted_BuildsNothing()
    {
        var journal = new List<string>();
        using var provider = Services(journal, fails: false);

        await provider.GetServices<IHostedService>().Last().StopAsync(CancellationToken.None);

        Assert.Empty(journal);
    }

    [Fact]
    public async Task Start_ConstructionThrows_StartFailsWithThatException()
    {
        var journal = new List<string>();
        using var provider = Services(journal, fails: true);
        var wrapper = provider.GetServices<IHostedService>().Last();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => wrapper.StartAsync(CancellationToken.None));

        Assert.Equal("the template catalog is broken", ex.Message);
    }

    private static ServiceProvider Services(List<string> journal, bool fails)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IHostedService>(new StartRecorder(journal, "first"));
        services.AddSingleton(_ => fails ? throw new InvalidOperationException("the template catalog is broken") : new Recorded(journal));
        services.AddHostedService<BuiltWhenStarted<Recorded>>();
        return services.BuildServiceProvider();
    }

    private sealed class Recorded : IHostedService
    {
        private readonly List<string> _journal;

        public Recorded(List<string> journal)
        {
            _journal = journal;
            _journal.Add("built");
        }

        public Task StartAsync(CancellationToken cancellationToken)
        {
            _journal.Add("started");
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            _journal.Add("stopped");
            return Task.CompletedTask;
        }
    }
}
