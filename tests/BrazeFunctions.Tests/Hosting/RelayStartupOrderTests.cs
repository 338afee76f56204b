using BrazeFunctions.Core;
using BrazeFunctions.Core.Templates;
using BrazeFunctions.Tests.Templates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace BrazeFunctions.Tests.Hosting;

/// <summary>
/// The relay's real wiring (AddRelayIngress and AddRelayDispatch, as Program.cs calls them): listing the hosted services
/// parses no template, so the worker's own hosted service (registered first by the Functions worker) starts without
/// waiting for the catalog, and a broken template still stops start-up.
/// </summary>
public sealed class RelayStartupOrderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("startup-templates-").FullName;

    [Fact]
    public async Task Start_BrokenTemplate_ListingParsesNothingAndStartFailsAfterTheWorkerStarted()
    {
        File.WriteAllText(Path.Combine(_directory, "broken.liquid"), "---\nendpoint: /users/track\ndescription: d\n---\n{\"a\": \"{{ ${user_id} | }}\"}");
        var journal = new List<string>();
        using var host = Build(journal);

        var listed = host.Services.GetServices<IHostedService>().ToList();
        var ex = await Assert.ThrowsAsync<TemplateCatalogException>(() => host.StartAsync(CancellationToken.None));

        Assert.IsType<StartRecorder>(listed[0]);
        Assert.Equal(["worker started"], journal);
        Assert.Contains("broken.liquid(5,23)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ShippedTemplates_StartsAndStops()
    {
        foreach (var file in Directory.GetFiles(TemplateTestKit.ShippedTemplatesDirectory, "*.liquid"))
        {
            File.Copy(file, Path.Combine(_directory, Path.GetFileName(file)));
        }

        var journal = new List<string>();
        using var host = Build(journal);

        await host.StartAsync(CancellationToken.None);
        await host.StopAsync(CancellationToken.None);

        Assert.Equal(["worker started"], journal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private IHost Build(List<string> journal)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["Templates:Directory"] = _directory,
            ["Braze:RestEndpoint"] = "https://rest.iad-01.braze.com",
            ["Braze:ApiKey"] = "startup-order-test-key",
        });
        builder.Services.AddSingleton<IHostedService>(new StartRecorder(journal, "worker"));
        builder.Services.AddRelayIngress();
        builder.Services.AddRelayDispatch();
        return builder.Build();
    }
}
