using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Storage;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BrazeFunctions.IntegrationTests.Idempotency;

/// <summary>
/// Claims, marks and releases at dispatch, against Azurite's table service and the fake Braze's counters, each with
/// coalescing off (linger 0) and on.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class DeliveryIdempotencyTests(AzuriteFixture azurite)
{
    private const string Counter = "{\"user_id\":\"u-1\",\"counter\":\"visits\"}";

    public static TheoryData<string> Lingers => ["00:00:00", "00:00:00.200"];

    [Theory]
    [MemberData(nameof(Lingers))]
    public async Task Dispatch_AnswerLostAfterBrazeApplied_CounterAppliedOnceAndEndsAmbiguous(string linger)
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:BatchLinger"] = linger });
        rig.Braze.Script(new SandboxAnswer.ApplyThenDrop());

        var result = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(Counter)), 1, default);

        Assert.Equal((DispatchOutcome.DeadLettered, "ambiguous_outcome"), (result.Outcome, result.Reason));
        Assert.Single(rig.Braze.Requests);
        Assert.Equal(1, rig.Braze.Counters["u-1/visits"]);
        var dead = DeadLetterCodec.Parse(Assert.Single(await rig.ReceiveAllAsync(rig.Poison)).Body.ToMemory());
        Assert.Contains("between", dead.Reason!.Detail, StringComparison.Ordinal);
        Assert.Contains("--include-ambiguous", dead.Reason.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Lingers))]
    public async Task Dispatch_AnswerLostWithRetryPolicy_IsResentAsTheTemplateDeclares(string linger)
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:BatchLinger"] = linger });
        rig.Braze.Script(new SandboxAnswer.ApplyThenDrop());

        var result = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope("{\"user_id\":\"u-1\",\"counter\":\"visits\",\"on_ambiguous\":\"retry\"}")), 1, default);

        Assert.Equal(DispatchOutcome.Delivered, result.Outcome);
        Assert.Equal(2, rig.Braze.Requests.Count);
        // Declared harmless to repeat, so it was: the count shows the repeat.
        Assert.Equal(2, rig.Braze.Counters["u-1/visits"]);
    }

    [Theory]
    [MemberData(nameof(Lingers))]
    public async Task Dispatch_CrashBetweenBrazes2xxAndTheMark_RedeliveryIsNotResent(string linger)
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:BatchLinger"] = linger },
            configure: services => services.Replace(ServiceDescriptor.Singleton(_ => FailingDeliveredMark(azurite.ConnectionString))));
        var envelope = rig.Envelope(Counter);

        var first = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(envelope), 1, default);
        // The host never saw the run finish (the process died after Braze's 2xx): the same message comes back. Its claim was
        // written by another run of the envelope and is young: that run may still be sending, so this copy waits it out.
        var again = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(envelope), 2, default);

        Assert.Equal(DispatchOutcome.Delivered, first.Outcome);
        Assert.Equal((DispatchOutcome.Deferred, "claim_conflict"), (again.Outcome, again.Reason));
        Assert.Single(rig.Braze.Requests);
        Assert.Equal(1, rig.Braze.Counters["u-1/visits"]);
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 5005);
    }

    [Theory]
    [MemberData(nameof(Lingers))]
    public async Task Dispatch_DeferredFor429_ComesBackAndSendsNormally(string linger)
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:BatchLinger"] = linger, ["Dispatch:ShortRateLimitWait"] = "00:00:00.500", ["Dispatch:RateLimitJitter"] = "00:00:00" });
        rig.Braze.Script(new SandboxAnswer.Status(429, "{\"message\":\"Rate limit exceeded\"}", RetryAfter: "1"));

        var deferred = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(Counter)), 1, default);
        Assert.Equal(("rate_limit", DispatchOutcome.Deferred), (deferred.Reason, deferred.Outcome));
        var copy = await ReceiveWithinAsync(rig, TimeSpan.FromSeconds(10));
        var result = await rig.Dispatcher.DispatchAsync(copy.Body.ToString(), copy.DequeueCount, default);

        Assert.Equal(DispatchOutcome.Delivered, result.Outcome);
        Assert.Equal([429, 201], rig.Braze.Requests.Select(r => r.Status));
        Assert.Equal(1, rig.Braze.Counters["u-1/visits"]);
    }

    [Theory]
    [MemberData(nameof(Lingers))]
    public async Task Dispatch_TwoInstancesRacingOnOneKey_MakeOneRequest(string linger)
    {
        var settings = new Dictionary<string, string?> { ["Dispatch:BatchLinger"] = linger };
        await using var first = await DispatchRig.StartAsync(azurite, settings);
        await using var second = await DispatchRig.StartAsync(azurite, settings, sharedBraze: first.Braze, sharedQueue: first.Queue);
        // Two envelopes of one delivery (Braze sent the webhook twice): the template's key names the delivery.
        const string payload = "{\"user_id\":\"u-1\",\"counter\":\"visits\",\"key\":\"dispatch-77:u-1\"}";

        var results = await Task.WhenAll(
            first.Dispatcher.DispatchAsync(DispatchRig.Message(first.Envelope(payload)), 1, default),
            second.Dispatcher.DispatchAsync(DispatchRig.Message(second.Envelope(payload)), 1, default));

        Assert.Single(first.Braze.Requests);
        Assert.Equal(1, first.Braze.Counters["u-1/visits"]);
        Assert.Single(results, r => r.Outcome == DispatchOutcome.Delivered);
        Assert.Single(results, r => r.Outcome is DispatchOutcome.Duplicate || r is { Outcome: DispatchOutcome.Deferred, Reason: "claim_conflict" });
    }

    [Theory]
    [MemberData(nameof(Lingers))]
    public async Task Dispatch_RepeatOfADeliveredKey_IsADuplicateAndNothingIsSent(string linger)
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:BatchLinger"] = linger });
        const string payload = "{\"user_id\":\"u-1\",\"counter\":\"visits\",\"key\":\"dispatch-78:u-1\"}";

        var first = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(payload)), 1, default);
        var repeat = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(payload)), 1, default);

        Assert.Equal(DispatchOutcome.Delivered, first.Outcome);
        Assert.Equal(DispatchOutcome.Duplicate, repeat.Outcome);
        Assert.Single(rig.Braze.Requests);
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 5001);
    }

    [Theory]
    [MemberData(nameof(Lingers))]
    public async Task Dispatch_StoreDown_CounterWaitsAndAttributeUpdateIsDelivered(string linger)
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new()
        {
            ["Dispatch:BatchLinger"] = linger,
            ["AzureWebJobsStorage"] = azurite.ConnectionStringWithTablesDown(FreePort.Next()),
        });

        var results = await rig.DispatchTogetherAsync([rig.Envelope(Counter), rig.Envelope("{\"user_id\":\"u-2\",\"plan\":\"gold\"}")]);

        Assert.Equal(("store_unavailable", DispatchOutcome.Deferred), (results[0].Reason, results[0].Outcome));
        Assert.Equal(DispatchOutcome.Delivered, results[1].Outcome);
        Assert.DoesNotContain("visits", Assert.Single(rig.Braze.Requests).Body, StringComparison.Ordinal);
        Assert.False(rig.Braze.Counters.ContainsKey("u-1/visits"));
    }

    [Fact]
    public async Task Dispatch_RedeliveryOfACrashedRunAfterTheLease_EndsAmbiguousWithoutSending()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var rig = await DispatchRig.StartAsync(azurite, time: clock,
            configure: services => services.Replace(ServiceDescriptor.Singleton(_ => FailingDeliveredMark(azurite.ConnectionString))));
        var envelope = rig.Envelope(Counter);

        var first = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(envelope), 1, default);
        clock.Advance(TimeSpan.FromMinutes(16));
        var afterTheLease = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(envelope), 2, default);

        Assert.Equal(DispatchOutcome.Delivered, first.Outcome);
        Assert.Equal((DispatchOutcome.DeadLettered, "ambiguous_outcome"), (afterTheLease.Outcome, afterTheLease.Reason));
        Assert.Single(rig.Braze.Requests);
        Assert.Equal(1, rig.Braze.Counters["u-1/visits"]);
    }

    [Fact]
    public async Task Dispatch_OperatorReplayWithOverride_SendsAnAmbiguousMessageAgain()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.Script(new SandboxAnswer.ApplyThenDrop());
        var envelope = rig.Envelope(Counter);

        var lost = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(envelope), 1, default);
        var secondCopy = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(envelope), 1, default);
        var replayed = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(envelope with { OverrideClaim = true, ReplayedAt = rig.Time.GetUtcNow() }), 1, default);

        Assert.Equal("ambiguous_outcome", lost.Reason);
        // A repeat of the dead-lettered message (its run died before completing it) neither sends nor dead-letters it again.
        Assert.Equal((DispatchOutcome.DeadLettered, "already_dead_lettered"), (secondCopy.Outcome, secondCopy.Reason));
        Assert.Single(await rig.Host.Get<DeadLetterStore>().ListAsync(DeadLetterFilter.All, default));
        Assert.Equal(DispatchOutcome.Delivered, replayed.Outcome);
        Assert.Equal(2, rig.Braze.Requests.Count);
        Assert.Equal(2, rig.Braze.Counters["u-1/visits"]);
    }

    private static async Task<Azure.Storage.Queues.Models.QueueMessage> ReceiveWithinAsync(DispatchRig rig, TimeSpan timeout) =>
        Assert.Single(await Poll.ForAsync(
            () => rig.ReceiveAllAsync(rig.Outbox), m => m.Length > 0, "the deferred copy to become visible", timeout, TimeSpan.FromMilliseconds(200)));

    /// <summary>Azurite's table service, except that marking a delivery done fails: storage's view of a crash right there.</summary>
    private static RelayTables FailingDeliveredMark(string connectionString)
    {
        var options = new TableClientOptions();
        options.AddPolicy(new FailDeliveredMarkPolicy(), HttpPipelinePosition.PerCall);
        return new RelayTables(new TableServiceClient(connectionString, options));
    }

    private sealed class FailDeliveredMarkPolicy : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.Request.Method == RequestMethod.Put && message.Request.Content is { } content)
            {
                using var buffer = new MemoryStream();
                content.WriteTo(buffer, default);
                if (System.Text.Encoding.UTF8.GetString(buffer.ToArray()).Contains("\"delivered\"", StringComparison.Ordinal))
                {
                    throw new RequestFailedException(503, "injected: the process died before the mark reached storage");
                }
            }
        }
    }
}
