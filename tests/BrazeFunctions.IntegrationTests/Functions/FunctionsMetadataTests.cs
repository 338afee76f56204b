using System.Text.Json;
using BrazeFunctions.Core.Storage;
using BrazeFunctions.IntegrationTests.Infrastructure;

namespace BrazeFunctions.IntegrationTests.Functions;

/// <summary>
/// Reads the <c>functions.metadata</c> the Worker SDK generated into the Function App's build output: what the Functions
/// host will actually index (routes, auth levels, methods, queue names, connections), without running the host.
/// </summary>
public sealed class FunctionsMetadataTests
{
    private static readonly Lazy<JsonElement[]> Functions = new(Load);

    [Fact]
    public void WebhookIngress_IsPostOnHooksRouteAtFunctionLevel()
    {
        var trigger = HttpTrigger("WebhookIngress");

        Assert.Equal("hooks/{route}", trigger.GetProperty("route").GetString());
        Assert.Equal("Function", trigger.GetProperty("authLevel").GetString());
        Assert.Equal(["post"], Methods(trigger));
    }

    [Fact]
    public void Health_IsAnonymousGet()
    {
        var trigger = HttpTrigger("Health");

        Assert.Equal("health", trigger.GetProperty("route").GetString());
        Assert.Equal("Anonymous", trigger.GetProperty("authLevel").GetString());
        Assert.Equal(["get"], Methods(trigger));
    }

    [Fact]
    public void HealthDetails_IsGetOnHealthDetailsAtFunctionLevel()
    {
        var trigger = HttpTrigger("HealthDetails");

        Assert.Equal("health/details", trigger.GetProperty("route").GetString());
        Assert.Equal("Function", trigger.GetProperty("authLevel").GetString());
        Assert.Equal(["get"], Methods(trigger));
    }

    [Theory]
    [InlineData("PoisonSweep")]
    [InlineData("IdempotencyCleanup")]
    [InlineData("MessageBodyCleanup")]
    [InlineData("QueueProbe")]
    public void Timers_RunWithoutTheScheduleMonitor(string function)
    {
        // A missed run is caught up by the next one, so no status blob is read at start or written after each run.
        var trigger = Assert.Single(Bindings(function), b => b.GetProperty("type").GetString() == "timerTrigger");

        Assert.False(trigger.GetProperty("useMonitor").GetBoolean());
    }

    [Fact]
    public void PoisonSweep_IsATimerEveryFiveMinutes()
    {
        var trigger = Assert.Single(Bindings("PoisonSweep"), b => b.GetProperty("type").GetString() == "timerTrigger");

        Assert.Equal("0 */5 * * * *", trigger.GetProperty("schedule").GetString());
        Assert.Equal(BrazeFunctions.Functions.PoisonSweepFunction.Schedule, trigger.GetProperty("schedule").GetString());
    }

    [Fact]
    public void IdempotencyCleanup_IsADailyTimer()
    {
        var trigger = Assert.Single(Bindings("IdempotencyCleanup"), b => b.GetProperty("type").GetString() == "timerTrigger");

        Assert.Equal("0 17 3 * * *", trigger.GetProperty("schedule").GetString());
        Assert.Equal(BrazeFunctions.Functions.IdempotencyCleanupFunction.Schedule, trigger.GetProperty("schedule").GetString());
    }

    [Fact]
    public void MessageBodyCleanup_IsAnHourlyTimer()
    {
        var trigger = Assert.Single(Bindings("MessageBodyCleanup"), b => b.GetProperty("type").GetString() == "timerTrigger");

        Assert.Equal("0 41 * * * *", trigger.GetProperty("schedule").GetString());
        Assert.Equal(BrazeFunctions.Functions.MessageBodyCleanupFunction.Schedule, trigger.GetProperty("schedule").GetString());
    }

    [Fact]
    public void QueueProbe_IsATimerEveryMinute()
    {
        var trigger = Assert.Single(Bindings("QueueProbe"), b => b.GetProperty("type").GetString() == "timerTrigger");

        Assert.Equal("0 * * * * *", trigger.GetProperty("schedule").GetString());
        Assert.Equal(BrazeFunctions.Functions.QueueProbeFunction.Schedule, trigger.GetProperty("schedule").GetString());
    }

    [Fact]
    public void HttpFunctions_ReturnTheirResultAsTheHttpResponse()
    {
        foreach (var name in new[] { "WebhookIngress", "Health", "HealthDetails" })
        {
            Assert.Contains(Bindings(name), b => b.GetProperty("type").GetString() == "http" && b.GetProperty("direction").GetString() == "Out");
        }
    }

    [Fact]
    public void EveryQueueTrigger_ReadsTheConfiguredOutboxThroughTheStorageConnection()
    {
        var queueTriggers = Functions.Value
            .SelectMany(f => f.GetProperty("bindings").EnumerateArray())
            .Where(b => b.GetProperty("type").GetString() == "queueTrigger")
            .ToList();

        foreach (var trigger in queueTriggers)
        {
            // The trigger and the ingress's sender read the same setting (Outbox__QueueName), so they cannot disagree.
            Assert.Equal($"%{OutboxOptions.Section}:QueueName%", trigger.GetProperty("queueName").GetString());
            Assert.Equal(new OutboxOptions().Connection, trigger.GetProperty("connection").GetString());
        }
    }

    [Fact]
    public void OutboxDispatch_IsTheQueueTriggerOnTheOutbox()
    {
        var trigger = Assert.Single(Bindings("OutboxDispatch"), b => b.GetProperty("type").GetString() == "queueTrigger");

        Assert.Equal($"%{OutboxOptions.Section}:QueueName%", trigger.GetProperty("queueName").GetString());
        Assert.Equal("AzureWebJobsStorage", trigger.GetProperty("connection").GetString());
    }

    [Fact]
    public void LocalSettingsSample_DefinesTheOutboxQueueSettingTheTriggersUse()
    {
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "local.settings.sample.json")));
        var values = sample.RootElement.GetProperty("Values");

        Assert.Equal(OutboxOptions.DefaultQueueName, values.GetProperty("Outbox__QueueName").GetString());
        Assert.Equal("UseDevelopmentStorage=true", values.GetProperty("AzureWebJobsStorage").GetString());
        Assert.Equal("dotnet-isolated", values.GetProperty("FUNCTIONS_WORKER_RUNTIME").GetString());
    }

    private static JsonElement HttpTrigger(string function) =>
        Assert.Single(Bindings(function), b => b.GetProperty("type").GetString() == "httpTrigger");

    private static IEnumerable<JsonElement> Bindings(string function) =>
        Assert.Single(Functions.Value, f => f.GetProperty("name").GetString() == function).GetProperty("bindings").EnumerateArray();

    private static string[] Methods(JsonElement trigger) =>
        [.. trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToLowerInvariant())];

    private static JsonElement[] Load()
    {
        // The test's own output folder tells the configuration (Debug/Release) the app was built in.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var path = Path.Combine(RepositoryRoot.Path, "src", "BrazeFunctions", "bin", configuration, "net10.0", "functions.metadata");
        Assert.True(File.Exists(path), $"{path} is missing: build src/BrazeFunctions first.");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return [.. document.RootElement.EnumerateArray().Select(e => e.Clone())];
    }
}
