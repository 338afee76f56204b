using System.Diagnostics.Metrics;
using System.Text.Json;
using BrazeFunctions.Cli;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace BrazeFunctions.IntegrationTests.Cli;

/// <summary><c>trace &lt;id&gt;</c> against Azurite: the dispatcher's trace records, the outbox and the poison queue.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TraceCommandTests(AzuriteFixture azurite) : IDisposable
{
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();

    public void Dispose()
    {
        _out.Dispose();
        _error.Dispose();
    }

    [Fact]
    public async Task Trace_WebhookFromTheIngressDelivered_SaysDeliveredWithBrazesStatusAndTheBatchSize()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var (status, body, _) = await FunctionCall.PostWebhookAsync(rig.Host.Get<WebhookIngress>(), "attribute-from-event", "{\"user_id\":\"u-1\",\"plan\":\"gold\"}");
        Assert.Equal(202, status);
        var id = body.GetProperty("id").GetString()!;
        var queued = Assert.Single(await rig.ReceiveAllAsync(rig.Outbox));
        Assert.Equal(DispatchOutcome.Delivered, (await rig.Dispatcher.DispatchAsync(queued.Body.ToString(), 1, default)).Outcome);
        await FlushAsync(rig);

        var exit = await Trace(rig, id);

        Assert.Equal(ExitCodes.Ok, exit);
        var lines = Lines();
        Assert.Equal("status: delivered", lines[^1]);
        Assert.StartsWith($"message {id}, route attribute-from-event, received ", lines[0], StringComparison.Ordinal);
        Assert.Contains("delivered: Braze 201, batch of 1, /users/track, workspace default, attempt 0", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains("Braze answered 201, in a request of 1 message(s) to /users/track (workspace default)", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trace_MessagesOfOneBrazeRequest_EachSaysTheBatchAndTheirRecordsShareOneTransaction()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:BatchLinger"] = "00:00:00.300" });
        using var operations = new MetricCollector<long>(rig.Host.Get<IMeterFactory>(), RelayMetrics.MeterName, "relay.trace.operations");
        using var records = new MetricCollector<long>(rig.Host.Get<IMeterFactory>(), RelayMetrics.MeterName, "relay.trace.records");
        var minute = new DateTimeOffset(rig.Time.GetUtcNow().UtcTicks / TimeSpan.TicksPerMinute * TimeSpan.TicksPerMinute, TimeSpan.Zero);
        var envelopes = Enumerable.Range(1, 3).Select(i => Traceable(rig, $"{{\"user_id\":\"u-{i}\",\"plan\":\"gold\"}}", minute.AddSeconds(i))).ToList();

        var results = await rig.DispatchTogetherAsync(envelopes);
        await FlushAsync(rig);

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        Assert.Single(rig.Braze.Requests);
        Assert.Equal(1, operations.GetMeasurementSnapshot().Where(m => Tag(m, "operation") == "transaction" && Tag(m, "result") == "ok").Sum(m => m.Value));
        Assert.Equal(3, records.GetMeasurementSnapshot().Where(m => Tag(m, "result") == "written").Sum(m => m.Value));
        foreach (var envelope in envelopes)
        {
            _out.GetStringBuilder().Clear();
            Assert.Equal(ExitCodes.Ok, await Trace(rig, envelope.Id));
            Assert.Contains("in a request of 3 message(s)", _out.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Trace_DeferredByARateLimit_IsWaitingUntilWhen()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.Script(new SandboxAnswer.Status(429, "{\"message\":\"rate limited\"}", Reset: rig.Time.GetUtcNow().AddMinutes(2)));
        var envelope = Traceable(rig, "{\"user_id\":\"u-1\",\"plan\":\"gold\"}");
        var result = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(envelope), 1, default);
        Assert.Equal(DispatchOutcome.Deferred, result.Outcome);
        await FlushAsync(rig);

        var exit = await Trace(rig, envelope.Id);

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("status: waiting", Lines()[^1]);
        Assert.Contains("(rate_limit, Braze answered 429), invisible until ", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trace_DeadLettered_GivesTheReasonAndBrazesDetailFromThePoisonQueue()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.Script(new SandboxAnswer.Status(400, "{\"message\":\"Invalid 'external_id'\"}"));
        var envelope = Traceable(rig, "{\"user_id\":\"u-1\",\"plan\":\"gold\"}");
        Assert.Equal(DispatchOutcome.DeadLettered, (await rig.Dispatcher.DispatchAsync(DispatchRig.Message(envelope), 1, default)).Outcome);
        await FlushAsync(rig);

        var exit = await Trace(rig, envelope.Id);

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("status: dead-lettered", Lines()[^1]);
        Assert.Contains(": http_400, Braze answered 400: Invalid 'external_id'", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains($"deadletter replay --id {envelope.Id}", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trace_ReplayedThenDelivered_ShowsTheWholeHistory()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.Script(new SandboxAnswer.Status(400, "{\"message\":\"Invalid 'external_id'\"}"));
        var envelope = Traceable(rig, "{\"user_id\":\"u-1\",\"plan\":\"gold\"}");
        await rig.Dispatcher.DispatchAsync(DispatchRig.Message(envelope), 1, default);
        await FlushAsync(rig);
        Assert.Equal(ExitCodes.Ok, await Cli(rig, "deadletter", "replay", "--id", envelope.Id));

        _out.GetStringBuilder().Clear();
        Assert.Equal(ExitCodes.Ok, await Trace(rig, envelope.Id));
        Assert.Equal("status: replayed", Lines()[^1]);

        var replayed = Assert.Single(await rig.ReceiveAllAsync(rig.Outbox));
        Assert.Equal(DispatchOutcome.Delivered, (await rig.Dispatcher.DispatchAsync(replayed.Body.ToString(), 1, default)).Outcome);
        await FlushAsync(rig);
        _out.GetStringBuilder().Clear();
        Assert.Equal(ExitCodes.Ok, await Trace(rig, envelope.Id, "--json"));

        using var report = JsonDocument.Parse(_out.ToString());
        Assert.Equal("delivered", report.RootElement.GetProperty("state").GetString());
        Assert.Equal(["dead-lettered", "replayed", "delivered"], report.RootElement.GetProperty("history").EnumerateArray().Select(r => r.GetProperty("event").GetString()));
    }

    [Fact]
    public async Task Trace_OnTheOutboxNotYetDispatched_IsQueued()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var envelope = Traceable(rig, "{\"user_id\":\"u-1\"}");
        await rig.Outbox.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(envelope)));

        var exit = await Trace(rig, envelope.Id);

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal("status: queued", Lines()[^1]);
        Assert.Contains("visible on the outbox", _out.ToString(), StringComparison.Ordinal);
        // Peeked, not received: the dispatcher can still take it at once.
        Assert.Single(await rig.ReceiveAllAsync(rig.Outbox));
    }

    [Fact]
    public async Task Trace_IdNobodyKnows_ExitsNotFound()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);

        var exit = await Trace(rig, Guid.CreateVersion7().ToString("N"));

        Assert.Equal(ExitCodes.NotFound, exit);
        Assert.Equal("status: unknown", Lines()[^1]);
    }

    [Fact]
    public async Task Dispatch_TraceTableUnreachable_DeliveryIsUnaffectedAndTheLostRecordIsCounted()
    {
        var deadTables = azurite.ConnectionStringWithTablesDown(FreePort.Next());
        await using var rig = await DispatchRig.StartAsync(azurite, new()
        {
            ["AzureWebJobsStorage"] = deadTables,
            ["Idempotency:Enabled"] = "false",
            ["Dispatch:SharedPacing"] = "false",
            ["Outbox:StorageMaxRetries"] = "0",
        });
        using var records = new MetricCollector<long>(rig.Host.Get<IMeterFactory>(), RelayMetrics.MeterName, "relay.trace.records");
        var envelope = Traceable(rig, "{\"user_id\":\"u-1\",\"plan\":\"gold\"}");

        var result = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(envelope), 1, default);
        await FlushAsync(rig);

        Assert.Equal(DispatchOutcome.Delivered, result.Outcome);
        Assert.Equal(1, records.GetMeasurementSnapshot().Where(m => Tag(m, "result") == "failed").Sum(m => m.Value));
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 7101);
    }

    /// <summary>An envelope with an id like the ingress's (a UUIDv7 carrying its receipt time), which trace records need.</summary>
    internal static WebhookEnvelope Traceable(DispatchRig rig, string payload, DateTimeOffset? received = null) =>
        rig.Envelope(payload) with { Id = Guid.CreateVersion7(received ?? rig.Time.GetUtcNow()).ToString("N") };

    internal static Task FlushAsync(DispatchRig rig) => rig.Host.Get<TraceRecorder>().FlushAsync(default);

    internal static Dictionary<string, string?> TraceSettings(DispatchRig rig) =>
        new() { ["Trace:TablePrefix"] = rig.Host.Get<IConfiguration>()["Trace:TablePrefix"] };

    private Task<int> Trace(DispatchRig rig, string id, params string[] more) => Cli(rig, ["trace", id, .. more]);

    private Task<int> Cli(DispatchRig rig, params string[] args) =>
        CliApp.RunAsync([.. args, "--connection", rig.ConnectionString, "--queue", rig.Queue],
            new CliConsole(new StringReader(string.Empty), _out, _error, Environment.CurrentDirectory), environment: TraceSettings(rig));

    private string[] Lines() => _out.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string? Tag(CollectedMeasurement<long> measurement, string name) =>
        measurement.Tags.TryGetValue(name, out var value) ? value?.ToString() : null;
}
