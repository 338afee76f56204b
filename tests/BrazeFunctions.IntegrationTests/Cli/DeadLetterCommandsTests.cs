using BrazeFunctions.Cli;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.IntegrationTests.Dispatch;
using BrazeFunctions.IntegrationTests.FakeBraze;
using BrazeFunctions.IntegrationTests.Infrastructure;

namespace BrazeFunctions.IntegrationTests.Cli;

/// <summary>The operator's <c>deadletter</c> commands, run in-process against the Azurite poison queue.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class DeadLetterCommandsTests(AzuriteFixture azurite) : IDisposable
{
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();

    public void Dispose()
    {
        _out.Dispose();
        _error.Dispose();
    }

    [Fact]
    public async Task List_WithStatusFilter_PrintsTheMatchingDeadLetterWithItsReason()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var (bad, missing) = await DeadLetterTwoAsync(rig);

        var exit = await Run("deadletter", "list", "--connection", azurite.ConnectionString, "--queue", rig.Queue, "--status", "400");

        Assert.Equal(0, exit);
        var lines = _out.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines, l => l.Contains('\t', StringComparison.Ordinal));
        var fields = line.Split('\t');
        Assert.Equal(["dead-letter", "attribute-from-event", "400", "http_400", bad.Id], fields[1..6]);
        Assert.Equal("Invalid 'external_id'", fields[7]);
        Assert.Equal("1 message(s)", lines[^1]);
        Assert.DoesNotContain(missing.Id, _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_ByRoute_PutsItBackOnTheOutboxAndTheDispatcherDeliversIt()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var (_, missing) = await DeadLetterTwoAsync(rig);

        var exit = await Run("deadletter", "replay", "--connection", azurite.ConnectionString, "--queue", rig.Queue, "--route", "trigger-canvas");

        Assert.Equal(0, exit);
        Assert.Contains("replayed " + missing.Id, _out.ToString(), StringComparison.Ordinal);
        Assert.Contains("1 replayed, 0 skipped", _out.ToString(), StringComparison.Ordinal);
        var queued = Assert.Single(await rig.ReceiveAllAsync(rig.Outbox));
        Assert.Equal(0, EnvelopeCodec.Deserialize(queued.Body).Attempt);
        Assert.Equal(DispatchOutcome.Delivered, (await rig.Host.Get<OutboxDispatcher>().DispatchAsync(queued.Body.ToString(), 1, default)).Outcome);
        // The other dead letter is still there.
        Assert.Single((await rig.Poison.PeekMessagesAsync(32)).Value);
    }

    [Fact]
    public async Task Replay_WithoutASelection_IsAUsageError()
    {
        var exit = await Run("deadletter", "replay", "--connection", azurite.ConnectionString);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--all", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_NoConnection_NamesTheSetting()
    {
        var console = new CliConsole(new StringReader(string.Empty), _out, _error, Environment.CurrentDirectory);
        var root = new System.CommandLine.RootCommand { DeadLetterCommands.Create(console, new Dictionary<string, string?> { ["AzureWebJobsStorage"] = string.Empty }) };

        var exit = await root.Parse(["deadletter", "list"]).InvokeAsync();

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--connection", _error.ToString(), StringComparison.Ordinal);
        Assert.Contains("AzureWebJobsStorage", _error.ToString(), StringComparison.Ordinal);
    }

    private static async Task<(WebhookEnvelope Bad, WebhookEnvelope Missing)> DeadLetterTwoAsync(DispatchRig rig)
    {
        rig.Braze.Script(new FakeAnswer.Status(400, "{\"message\":\"Invalid 'external_id'\"}"), new FakeAnswer.Status(404, "{\"message\":\"Not Found\"}"));
        var dispatcher = rig.Host.Get<OutboxDispatcher>();
        var bad = rig.Envelope("{\"user_id\":\"u-1\"}");
        var canvas = System.Text.Json.JsonSerializer.Serialize(new { endpoint = "/canvas/trigger/send", raw = "{\"canvas_id\":\"c-1\",\"recipients\":[{\"external_user_id\":\"u-2\"}]}" });
        var missing = rig.Envelope(canvas, route: "trigger-canvas");
        Assert.Equal(DispatchOutcome.DeadLettered, (await dispatcher.DispatchAsync(DispatchRig.Message(bad), 1, default)).Outcome);
        Assert.Equal(DispatchOutcome.DeadLettered, (await dispatcher.DispatchAsync(DispatchRig.Message(missing), 1, default)).Outcome);
        return (bad, missing);
    }

    private Task<int> Run(params string[] args) =>
        CliApp.RunAsync(args, new CliConsole(new StringReader(string.Empty), _out, _error, Environment.CurrentDirectory));
}
