using BrazeFunctions.Cli;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

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
        Assert.Equal(2, lines.Length);
        Assert.Equal(string.Join('\t', DeadLetterCommands.Columns), lines[0]);
        var fields = lines[1].Split('\t');
        Assert.Equal(["dead-letter", "attribute-from-event", "default", "400", "http_400", bad.Id], fields[1..7]);
        Assert.Equal("Invalid 'external_id'", fields[8]);
        Assert.Contains("page 1: 2 scanned, 1 selected", _error.ToString(), StringComparison.Ordinal);
        Assert.Contains("1 message(s)", _error.ToString(), StringComparison.Ordinal);
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
    public async Task List_MalformedConnectionString_IsAUsageErrorNamingTheSetting()
    {
        var exit = await Run("deadletter", "list", "--connection", "this is not a connection string");

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--connection or AzureWebJobsStorage", _error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("this is not a connection string", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_StorageDown_ExitsWithTheStorageErrorCode()
    {
        var exit = await Run("deadletter", "list", "--connection", AzuriteFixture.UnreachableConnectionString(FreePort.Next()));

        Assert.Equal(ExitCodes.StorageError, exit);
        Assert.Contains("could not be read", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_NoConnection_NamesTheSetting()
    {
        // An empty folder: from the checkout, the nearest local.settings.json (scripts/run-local.sh writes one) would give a connection.
        var folder = Directory.CreateTempSubdirectory("braze-cli-").FullName;
        var console = new CliConsole(new StringReader(string.Empty), _out, _error, folder);
        var root = new System.CommandLine.RootCommand { DeadLetterCommands.Create(console, new Dictionary<string, string?> { ["AzureWebJobsStorage"] = string.Empty }) };

        var exit = await root.Parse(["deadletter", "list"]).InvokeAsync();
        Directory.Delete(folder);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--connection", _error.ToString(), StringComparison.Ordinal);
        Assert.Contains("AzureWebJobsStorage", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_ShowsEachDeadLettersWorkspaceAndReportsUnreadableOnes()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var moved = await PoisonQueueKit.SendDeadLetterAsync(rig, "http_401", workspace: "brandus");
        var unreadable = await PoisonQueueKit.SendUnreadableAsync(rig);

        var exit = await Run("deadletter", "list", "--connection", azurite.ConnectionString, "--queue", rig.Queue);

        Assert.Equal(0, exit);
        var lines = _out.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("brandus", Assert.Single(lines, l => l.Contains(moved.Id, StringComparison.Ordinal)).Split('\t')[3]);
        Assert.Equal(unreadable.Count, lines.Count(l => l.Contains("\tunreadable\t", StringComparison.Ordinal)));
        Assert.Contains($"{unreadable.Count + 1} message(s), {unreadable.Count} without a readable envelope (never replayed; purge removes them)", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_DryRun_PrintsWhatWouldBeReplayedAndChangesNothing()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var (bad, missing) = await DeadLetterTwoAsync(rig);

        var exit = await Run("deadletter", "replay", "--connection", azurite.ConnectionString, "--queue", rig.Queue, "--all", "--dry-run");

        Assert.Equal(0, exit);
        Assert.Contains($"would replay {bad.Id} (route attribute-from-event", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains($"would replay {missing.Id} (route trigger-canvas", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains("dry run: 2 would be replayed, 0 skipped, 2 scanned; nothing was changed", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains("page 1: 2 scanned, 2 would be replayed, 0 skipped", _error.ToString(), StringComparison.Ordinal);
        Assert.Empty(await rig.ReceiveAllAsync(rig.Outbox));
        Assert.Equal(2, (await rig.Poison.PeekMessagesAsync(32)).Value.Length);
    }

    [Fact]
    public async Task Replay_IncludeAmbiguous_ResendsWithTheClaimOverriddenAndWarnsOfDoubleCounting()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var ambiguous = await PoisonQueueKit.SendDeadLetterAsync(rig, DeadLetterCodes.AmbiguousOutcome, route: "counter-increment");

        var refused = await Run("deadletter", "replay", "--connection", azurite.ConnectionString, "--queue", rig.Queue, "--all");
        var refusal = _error.ToString();
        var exit = await Run("deadletter", "replay", "--connection", azurite.ConnectionString, "--queue", rig.Queue, "--all", "--include-ambiguous");

        Assert.Equal(ExitCodes.NotAll, refused);
        Assert.Contains($"skipped", refusal, StringComparison.Ordinal);
        Assert.Contains("--include-ambiguous", refusal, StringComparison.Ordinal);
        Assert.Equal(0, exit);
        Assert.Contains($"replayed {ambiguous.Id} (route counter-increment) (ambiguous outcome: claim overridden)", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains("a replayed counter may count twice", _error.ToString(), StringComparison.Ordinal);
        Assert.True(EnvelopeCodec.Deserialize(Assert.Single(await rig.ReceiveAllAsync(rig.Outbox)).Body).OverrideClaim);
    }

    [Fact]
    public async Task Replay_WorkspaceChanged_RefusesNamingBothWorkspacesUnlessForced()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var moved = await PoisonQueueKit.SendDeadLetterAsync(rig, "http_401", workspace: "brandus");

        var refused = await Run("deadletter", "replay", "--connection", azurite.ConnectionString, "--queue", rig.Queue, "--id", moved.Id);
        var refusal = _error.ToString();
        var forced = await Run("deadletter", "replay", "--connection", azurite.ConnectionString, "--queue", rig.Queue, "--id", moved.Id, "--force");

        Assert.Equal(ExitCodes.NotAll, refused);
        Assert.Contains("workspace 'brandus'", refusal, StringComparison.Ordinal);
        Assert.Contains("workspace 'default'", refusal, StringComparison.Ordinal);
        Assert.Contains("--force", refusal, StringComparison.Ordinal);
        Assert.Equal(0, forced);
        Assert.Contains($"replayed {moved.Id}", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_UnreadableMessages_AreSkippedWithTheirProblemAndTheRestIsReplayed()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var unreadable = await PoisonQueueKit.SendUnreadableAsync(rig);
        var good = await PoisonQueueKit.SendDeadLetterAsync(rig, "http_400");

        var exit = await Run("deadletter", "replay", "--connection", azurite.ConnectionString, "--queue", rig.Queue, "--all");

        Assert.Equal(ExitCodes.NotAll, exit);
        Assert.Contains($"replayed {good.Id}", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains($"1 replayed, {unreadable.Count} skipped", _out.ToString(), StringComparison.Ordinal);
        Assert.Equal(unreadable.Count, _error.ToString().Split('\n').Count(l => l.StartsWith("skipped ", StringComparison.Ordinal)));
        Assert.Contains("'attempt' must be a number", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_RunsOnTheAppsWiringAndLogs()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var (bad, _) = await DeadLetterTwoAsync(rig);
        var logs = new FakeLogCollector();
        var console = new CliConsole(new StringReader(string.Empty), _out, _error, Environment.CurrentDirectory);
        var root = new System.CommandLine.RootCommand { DeadLetterCommands.Create(console, logging: b => b.AddProvider(new FakeLoggerProvider(logs))) };

        var exit = await root.Parse(["deadletter", "replay", "--connection", azurite.ConnectionString, "--queue", rig.Queue, "--id", bad.Id]).InvokeAsync();

        Assert.Equal(0, exit);
        var ids = logs.GetSnapshot().Select(r => r.Id.Id).ToList();
        Assert.Contains(7000, ids);
        Assert.Contains(3013, ids);
        Assert.Contains(7004, ids);
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Message.Contains("u-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task List_SettingsFileValues_AreReadLikeTheApp()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        await DeadLetterTwoAsync(rig);
        var dir = Directory.CreateTempSubdirectory("cli-").FullName;
        try
        {
            var settings = Path.Combine(dir, "local.settings.json");
            File.WriteAllText(settings, System.Text.Json.JsonSerializer.Serialize(new { Values = new Dictionary<string, string> { ["AzureWebJobsStorage"] = azurite.ConnectionString, ["Outbox__QueueName"] = rig.Queue } }));

            var exit = await CliApp.RunAsync(["deadletter", "list"], new CliConsole(new StringReader(string.Empty), _out, _error, dir));

            Assert.Equal(0, exit);
            Assert.Equal(3, _out.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            Assert.Contains($"storage: connection string, queue http://127.0.0.1:{azurite.QueuePort}/devstoreaccount1 (shared key, not shown); from {settings} (AzureWebJobsStorage)", _error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<(WebhookEnvelope Bad, WebhookEnvelope Missing)> DeadLetterTwoAsync(DispatchRig rig)
    {
        rig.Braze.Script(new SandboxAnswer.Status(400, "{\"message\":\"Invalid 'external_id'\"}"), new SandboxAnswer.Status(404, "{\"message\":\"Not Found\"}"));
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
