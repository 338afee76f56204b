using System.Text.Json;
using BrazeFunctions.Cli;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;

namespace BrazeFunctions.IntegrationTests.Cli;

/// <summary><c>deadletter list --json</c> and its selectors, <c>show</c> and <c>purge</c>, and the app folder's settings, against Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class DeadLetterManagementTests(AzuriteFixture azurite) : IDisposable
{
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();

    public void Dispose()
    {
        _out.Dispose();
        _error.Dispose();
    }

    [Fact]
    public async Task ListJson_ById_PrintsOneObjectWithEveryField()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var first = await PoisonQueueKit.SendDeadLetterAsync(rig, "http_400");
        await PoisonQueueKit.SendDeadLetterAsync(rig, "http_400");

        var exit = await Run(rig, "", "deadletter", "list", "--json", "--id", first.Id);

        Assert.Equal(ExitCodes.Ok, exit);
        using var listed = JsonDocument.Parse(_out.ToString());
        var item = Assert.Single(listed.RootElement.EnumerateArray());
        Assert.Equal(first.Id, item.GetProperty("messageId").GetString());
        Assert.Equal("http_400", item.GetProperty("reason").GetString());
        Assert.Equal("dead-letter", item.GetProperty("kind").GetString());
        Assert.Equal("attribute-from-event", item.GetProperty("route").GetString());
        Assert.Equal(2, item.GetProperty("attempt").GetInt32());
        Assert.False(item.TryGetProperty("envelope", out _));
    }

    [Fact]
    public async Task List_ByReasonAndSince_SelectsOnlyThose()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var expired = await PoisonQueueKit.SendDeadLetterAsync(rig, "expired");
        await PoisonQueueKit.SendDeadLetterAsync(rig, "http_400");
        var unreadable = await PoisonQueueKit.SendUnreadableAsync(rig);

        Assert.Equal(ExitCodes.Ok, await Run(rig, "", "deadletter", "list", "--reason", "expired", "--since", "10m"));
        var byReason = Rows();
        _out.GetStringBuilder().Clear();
        Assert.Equal(ExitCodes.Ok, await Run(rig, "", "deadletter", "list", "--reason", "unreadable"));
        var garbage = Rows();
        _out.GetStringBuilder().Clear();
        Assert.Equal(ExitCodes.Ok, await Run(rig, "", "deadletter", "list", "--since", "2099-01-01T00:00:00Z"));

        Assert.Equal(expired.Id, Assert.Single(byReason)[6]);
        Assert.Equal(unreadable.Count, garbage.Count);
        Assert.Empty(Rows());
    }

    [Fact]
    public async Task List_LongerThanAPage_LeavesEveryMessageVisibleWhenItEnds()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        for (var i = 0; i < 40; i++)
        {
            await PoisonQueueKit.SendDeadLetterAsync(rig, "http_400");
        }

        var exit = await Run(rig, "", "deadletter", "list");

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal(40, Rows().Count);
        Assert.Contains("page 2: 40 scanned, 40 selected", _error.ToString(), StringComparison.Ordinal);
        // Released at the end of the walk, not after a lease: a receive right away gets a full page.
        Assert.Equal(32, (await rig.Poison.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(1))).Value.Length);
    }

    [Fact]
    public async Task Show_DeadLetter_PrintsTheReasonAndTheEnvelopeWithItsPayload()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.Script(new SandboxAnswer.Status(400, "{\"message\":\"Invalid 'external_id'\"}"));
        var envelope = rig.Envelope("{\"user_id\":\"u-9\",\"plan\":\"gold\"}");
        await rig.Dispatcher.DispatchAsync(DispatchRig.Message(envelope), 1, default);

        var exit = await Run(rig, "", "deadletter", "show", envelope.Id);

        Assert.Equal(ExitCodes.Ok, exit);
        using var shown = JsonDocument.Parse(_out.ToString());
        var item = Assert.Single(shown.RootElement.EnumerateArray());
        Assert.Equal("Invalid 'external_id'", item.GetProperty("brazeMessage").GetString());
        Assert.Equal(400, item.GetProperty("status").GetInt32());
        Assert.Equal("u-9", item.GetProperty("envelope").GetProperty("payload").GetProperty("user_id").GetString());
    }

    [Fact]
    public async Task Show_Unreadable_PrintsItsTextAndProblem_UnknownIdExitsNotFound()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        await PoisonQueueKit.SendUnreadableAsync(rig);
        // Read without decoding: one of the messages is not Base64 at all.
        var encoded = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("this is not json at all"));
        var garbage = (await new Azure.Storage.Queues.QueueClient(rig.ConnectionString, rig.Queue + "-poison").PeekMessagesAsync(32)).Value.First(m => m.Body.ToString() == encoded);

        var exit = await Run(rig, "", "deadletter", "show", garbage.MessageId);
        var missing = await Run(rig, "", "deadletter", "show", "no-such-id");

        Assert.Equal(ExitCodes.Ok, exit);
        using var shown = JsonDocument.Parse(_out.ToString());
        var item = shown.RootElement[0];
        Assert.Equal("this is not json at all", item.GetProperty("text").GetString());
        Assert.Contains("not JSON", item.GetProperty("problem").GetString(), StringComparison.Ordinal);
        Assert.Equal(ExitCodes.NotFound, missing);
    }

    [Fact]
    public async Task Purge_DryRun_ListsWhatItWouldRemoveAndChangesNothing()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var dead = await PoisonQueueKit.SendDeadLetterAsync(rig, "http_400");

        var exit = await Run(rig, "", "deadletter", "purge", "--all", "--dry-run");

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains($"would purge ", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains($"({dead.Id}, http_400, route attribute-from-event)", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains("dry run: 1 would be purged, 1 scanned; nothing was changed", _out.ToString(), StringComparison.Ordinal);
        Assert.Single((await rig.Poison.PeekMessagesAsync(32)).Value);
    }

    [Fact]
    public async Task Purge_ByReasonWithYes_RemovesInvalidEnvelopesAndLeavesTheRest()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var kept = await PoisonQueueKit.SendDeadLetterAsync(rig, "http_400");
        Assert.Equal(DispatchOutcome.DeadLettered, (await rig.Dispatcher.DispatchAsync("{\"v\":1,\"id\":", 1, default)).Outcome);

        var exit = await Run(rig, "", "deadletter", "purge", "--reason", "invalid_envelope", "--yes");

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("1 purged, 0 not purged", _out.ToString(), StringComparison.Ordinal);
        var left = Assert.Single((await rig.Poison.PeekMessagesAsync(32)).Value);
        Assert.Contains(kept.Id, DeadLetterCodec.Parse(left.Body.ToMemory()).Reason!.MessageId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Purge_NotConfirmed_RemovesNothing_ConfirmedRemovesWhatWasListedAndTraceSaysPurged()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.Script(new SandboxAnswer.Status(400, "{\"message\":\"bad\"}"));
        var envelope = TraceCommandTests.Traceable(rig, "{\"user_id\":\"u-1\",\"plan\":\"gold\"}");
        await rig.Dispatcher.DispatchAsync(DispatchRig.Message(envelope), 1, default);
        await TraceCommandTests.FlushAsync(rig);

        var declined = await Run(rig, "no\n", "deadletter", "purge", "--id", envelope.Id);
        var stillThere = (await rig.Poison.PeekMessagesAsync(32)).Value.Length;
        var confirmed = await Run(rig, "yes\n", "deadletter", "purge", "--id", envelope.Id);
        _out.GetStringBuilder().Clear();
        var traced = await Run(rig, "", "trace", envelope.Id);

        Assert.Equal(ExitCodes.Declined, declined);
        Assert.Equal(1, stillThere);
        Assert.Contains("Remove these 1 dead letter(s) for good? Type yes to confirm:", _error.ToString(), StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, confirmed);
        Assert.Empty((await rig.Poison.PeekMessagesAsync(32)).Value);
        Assert.Equal(ExitCodes.Ok, traced);
        Assert.Contains("status: purged", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Purge_WithoutASelection_IsAUsageError()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);

        var exit = await Run(rig, "", "deadletter", "purge", "--yes");

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("say what to purge: --all, or one or more of --id, --route, --status, --reason, --since", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FromTheAppFolder_TraceSaysDeliveredAndPurgeDryRunLists_WithTheFilesSettings()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var envelope = TraceCommandTests.Traceable(rig, "{\"user_id\":\"u-1\",\"plan\":\"gold\"}");
        await rig.Dispatcher.DispatchAsync(DispatchRig.Message(envelope), 1, default);
        await TraceCommandTests.FlushAsync(rig);
        var dead = await PoisonQueueKit.SendDeadLetterAsync(rig, "http_400");
        var root = Directory.CreateTempSubdirectory("cli-app-").FullName;
        try
        {
            var app = Directory.CreateDirectory(Path.Combine(root, "src", "BrazeFunctions")).FullName;
            var settings = Path.Combine(app, "local.settings.json");
            File.WriteAllText(settings, JsonSerializer.Serialize(new
            {
                IsEncrypted = false,
                Values = new Dictionary<string, string?>
                {
                    ["AzureWebJobsStorage"] = azurite.ConnectionString,
                    ["Outbox__QueueName"] = rig.Queue,
                    ["Trace__TablePrefix"] = TraceCommandTests.TraceSettings(rig)["Trace:TablePrefix"],
                },
            }));
            var console = new CliConsole(new StringReader(string.Empty), _out, _error, app);

            var traced = await CliApp.RunAsync(["trace", envelope.Id], console, environment: new Dictionary<string, string?>());
            var listed = await CliApp.RunAsync(["deadletter", "purge", "--all", "--dry-run"], console, environment: new Dictionary<string, string?>());

            Assert.Equal(ExitCodes.Ok, traced);
            Assert.Contains("status: delivered", _out.ToString(), StringComparison.Ordinal);
            Assert.Contains($"; from {settings} (AzureWebJobsStorage)", _error.ToString(), StringComparison.Ordinal);
            Assert.Equal(ExitCodes.Ok, listed);
            Assert.Contains($"({dead.Id}, http_400, route attribute-from-event)", _out.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private List<string[]> Rows() =>
        [.. _out.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1).Select(l => l.Split('\t'))];

    private Task<int> Run(DispatchRig rig, string stdin, params string[] args) =>
        CliApp.RunAsync([.. args, "--connection", rig.ConnectionString, "--queue", rig.Queue],
            new CliConsole(new StringReader(stdin), _out, _error, Environment.CurrentDirectory), environment: TraceCommandTests.TraceSettings(rig));
}
