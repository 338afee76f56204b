using System.Text.Json;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.IntegrationTests.Dispatch;

/// <summary>The dispatcher against a real Azurite and the fake Braze server.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class OutboxDispatcherTests(AzuriteFixture azurite)
{
    private const string UserPayload = "{\"user_id\":\"u-42\",\"plan\":\"gold\"}";

    [Fact]
    public async Task Dispatch_BrazeAccepts_DeliveredOnceWithTheRenderedBody()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default);

        Assert.Equal(DispatchOutcome.Delivered, result.Outcome);
        var request = Assert.Single(rig.Braze.Requests);
        Assert.Equal("/users/track", request.Path);
        Assert.True(request.Authorized);
        Assert.Equal("{\"attributes\":[{\"external_id\":\"u-42\",\"plan\":\"gold\"}]}", request.Body);
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3002);
        Assert.Empty(await rig.ReceiveAllAsync(rig.Outbox));
    }

    [Fact]
    public async Task Dispatch_500Then201_RetriedInPlaceAndDeliveredOnce()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.Script(new SandboxAnswer.Status(500, "{\"message\":\"Internal Server Error\"}"));

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default);

        Assert.Equal(DispatchOutcome.Delivered, result.Outcome);
        Assert.Equal([500, 201], rig.Braze.Requests.Select(r => r.Status));
        Assert.Single(rig.Braze.Requests, r => r.Status == 201);
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3007);
        Assert.Empty(await rig.ReceiveAllAsync(rig.Outbox));
        Assert.Empty(await rig.ReceiveAllAsync(rig.Poison));
    }

    [Fact]
    public async Task Dispatch_DroppedConnectionAndTimeout_AreRetriedInPlace()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Braze:RequestTimeout"] = "00:00:01" });
        rig.Braze.Script(new SandboxAnswer.Drop(), new SandboxAnswer.Delay(TimeSpan.FromSeconds(3)));

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default);

        Assert.Equal(DispatchOutcome.Delivered, result.Outcome);
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3004 && r.Message.Contains("timeout", StringComparison.Ordinal));
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3004 && !r.Message.Contains("timeout", StringComparison.Ordinal));
        Assert.Equal([0, 0, 201], rig.Braze.Requests.Select(r => r.Status));
    }

    [Fact]
    public async Task Dispatch_InPlaceRetriesFail_DeferredOnTheScheduleWithAttemptPlusOne()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:RetrySchedule"] = "1m,5m", ["Dispatch:RetryScheduleJitter"] = "0" });
        rig.Braze.Script(new SandboxAnswer.Status(503), new SandboxAnswer.Status(503), new SandboxAnswer.Status(503));
        var envelope = rig.Envelope(UserPayload);

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(envelope), 1, default);

        Assert.Equal(DispatchOutcome.Deferred, result.Outcome);
        Assert.Equal("retry_schedule", result.Reason);
        Assert.Equal(TimeSpan.FromMinutes(1), result.Delay);
        Assert.Equal(3, rig.Braze.Requests.Count);
        // Invisible for a minute: nothing to receive now.
        Assert.Empty(await rig.ReceiveAllAsync(rig.Outbox));
        var properties = (await rig.Outbox.GetPropertiesAsync()).Value;
        Assert.Equal(1, properties.ApproximateMessagesCount);
        Assert.Empty(await rig.ReceiveAllAsync(rig.Poison));
    }

    [Fact]
    public async Task Dispatch_ScheduleExhausted_DeadLetteredAsRetriesExhausted()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:RetrySchedule"] = "1m,5m" });
        rig.Braze.Script(new SandboxAnswer.Status(503, "{\"message\":\"Service Unavailable\"}"), new SandboxAnswer.Status(503, "{\"message\":\"Service Unavailable\"}"), new SandboxAnswer.Status(503, "{\"message\":\"Service Unavailable\"}"));
        var envelope = rig.Envelope(UserPayload, attempt: 2);

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(envelope), 1, default);

        Assert.Equal(DispatchOutcome.DeadLettered, result.Outcome);
        var dead = await SingleDeadLetterAsync(rig);
        Assert.Equal("retries_exhausted", dead.Reason!.Code);
        Assert.Equal(503, dead.Reason.Status);
        Assert.Equal("Service Unavailable", dead.Reason.BrazeMessage);
        Assert.Equal(2, dead.Reason.Attempt);
        Assert.Equal(envelope.Id, dead.Envelope!.Id);
        Assert.Empty(await rig.ReceiveAllAsync(rig.Outbox));
    }

    public static TheoryData<int, string> PermanentStatuses => new()
    {
        { 404, "{\"message\":\"Not Found\"}" },
        { 413, "{\"message\":\"Payload Too Large\"}" },
    };

    [Theory]
    [MemberData(nameof(PermanentStatuses))]
    public async Task Dispatch_PermanentStatus_DeadLetteredAtOnceWithTheReason(int status, string body)
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.Script(new SandboxAnswer.Status(status, body));
        var envelope = rig.Envelope(UserPayload);

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(envelope), 1, default);

        Assert.Equal(DispatchOutcome.DeadLettered, result.Outcome);
        Assert.Single(rig.Braze.Requests);
        var dead = await SingleDeadLetterAsync(rig);
        Assert.Equal("http_" + status, dead.Reason!.Code);
        Assert.Equal(status, dead.Reason.Status);
        Assert.Equal(JsonDocument.Parse(body).RootElement.GetProperty("message").GetString(), dead.Reason.BrazeMessage);
        Assert.Equal("/users/track", dead.Reason.Endpoint);
        Assert.Equal("attribute-from-event", dead.Reason.Route);
        Assert.Equal(envelope.CorrelationId, dead.Reason.CorrelationId);
        Assert.Equal(envelope.PayloadJson, dead.Envelope!.PayloadJson);
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3010);
    }

    [Fact]
    public async Task Dispatch_InvalidBody_Braze400DeadLetteredWithBrazeMessage()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);

        // No identifier on the only object: the fake (like Braze) refuses the whole request.
        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope("{\"plan\":\"gold\"}")), 1, default);

        Assert.Equal(DispatchOutcome.DeadLettered, result.Outcome);
        Assert.Equal("http_400", result.Reason);
        var dead = await SingleDeadLetterAsync(rig);
        Assert.Equal(400, dead.Reason!.Status);
        Assert.Equal("Invalid request: no valid object", dead.Reason.BrazeMessage);
        Assert.Contains("is required", dead.Reason.Detail, StringComparison.Ordinal);
        Assert.Single(rig.Braze.Requests);
    }

    [Fact]
    public async Task Dispatch_WrongApiKey_HeldForTheCredentialPauseAndNeitherKeyAppearsAnywhere()
    {
        const string wrongKey = "sk-wrong-key-Hh3Jk8Lm2Np5Qr7";
        await using var rig = await DispatchRig.StartAsync(azurite, configuredKey: wrongKey);
        using var rejected = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(
            rig.Host.Get<System.Diagnostics.Metrics.IMeterFactory>(), Core.Diagnostics.RelayMetrics.MeterName, "relay.braze.credential_rejected");

        var first = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default);
        var second = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default);

        // A wrong key holds the backlog instead of burning it into the poison queue: one request, then everyone waits.
        Assert.Equal(("credential_pause", DispatchOutcome.Deferred), (first.Reason, first.Outcome));
        Assert.Equal(("credential_pause", DispatchOutcome.Deferred), (second.Reason, second.Outcome));
        Assert.True(first.Delay >= TimeSpan.FromMinutes(4.9), $"delay {first.Delay}");
        Assert.False(Assert.Single(rig.Braze.Requests).Authorized);
        Assert.Empty(await rig.ReceiveAllAsync(rig.Poison));
        var metric = Assert.Single(rejected.GetMeasurementSnapshot());
        Assert.Equal(401, metric.Tags["status"]);
        var logs = rig.Host.AllLogText();
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3027);
        Assert.DoesNotContain(wrongKey, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(DispatchRig.ApiKey, logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispatch_CredentialPauseOver_OneProbeGoesFirstThenTheHeldMessages()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:CredentialPause"] = "00:00:01", ["Dispatch:ShortRateLimitWait"] = "00:00:05" });
        rig.Braze.Script(new SandboxAnswer.Status(403, "{\"message\":\"Access Denied\"}"));
        var dispatcher = rig.Host.Get<OutboxDispatcher>();

        var refused = await dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default);
        // The pause (1 s) is shorter than the wait a dispatch may spend in place: these wait, and only one goes first.
        var results = await Task.WhenAll(Enumerable.Range(0, 3).Select(i =>
            dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope($"{{\"user_id\":\"u-{i}\",\"coalesce\":false}}")), 1, default)));

        Assert.Equal("credential_pause", refused.Reason);
        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        var requests = rig.Braze.Requests;
        Assert.Equal([403, 201, 201, 201], requests.Select(r => r.Status));
        Assert.True(requests.Skip(2).All(r => r.ArrivedAt >= requests[1].ArrivedAt), "a held message went before the probe");
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3028);
    }

    [Fact]
    public async Task Dispatch_CredentialStillRefusedAtMaxMessageAge_DeadLetteredAsCredentialRejected()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:MaxMessageAge"] = "00:10:00" });
        rig.Braze.Script(new SandboxAnswer.Status(401, "{\"message\":\"Invalid API key\"}"));
        var old = rig.Envelope(UserPayload) with { ReceivedAt = rig.Time.GetUtcNow().AddMinutes(-8) };

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(old), 1, default);

        Assert.Equal(("credential_rejected", DispatchOutcome.DeadLettered), (result.Reason, result.Outcome));
        var dead = await SingleDeadLetterAsync(rig);
        Assert.Equal(401, dead.Reason!.Status);
        Assert.Equal("default", dead.Reason.Workspace);
        Assert.Contains("Braze__ApiKey", dead.Reason.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispatch_DequeuedAsOftenAsTheCrashLimit_DeadLetteredAsCrashLoopWithoutSending()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:MaxDequeueCount"] = "5" });

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 5, default);

        Assert.Equal(("crash_loop", DispatchOutcome.DeadLettered), (result.Reason, result.Outcome));
        Assert.Empty(rig.Braze.Requests);
        Assert.Contains("dequeued 5 times", (await SingleDeadLetterAsync(rig)).Reason!.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispatch_PartialErrors_LoggedWithTypeAndIndexAndNotRetried()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        // Two attributes, the second without an identifier: Braze processes the first and reports the second.
        const string body = "{\"attributes\":[{\"external_id\":\"u-1\",\"plan\":\"gold\"},{\"plan\":\"silver\"}]}";
        var payload = JsonSerializer.Serialize(new { raw = body });

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope(payload)), 1, default);

        Assert.Equal(DispatchOutcome.Delivered, result.Outcome);
        Assert.Equal(201, Assert.Single(rig.Braze.Requests).Status);
        var partial = Assert.Single(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3005);
        var state = partial.StructuredState!.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("attributes", state["InputArray"]);
        Assert.Equal("1", state["Index"]);
        Assert.Contains("is required", state["ErrorType"], StringComparison.Ordinal);
        Assert.Empty(await rig.ReceiveAllAsync(rig.Outbox));
        Assert.Empty(await rig.ReceiveAllAsync(rig.Poison));
    }

    [Fact]
    public async Task Dispatch_TemplateFailed_DeadLetteredAsTemplateErrorWithLineAndNothingSent()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope("{\"fail\":\"unknown filter 'shout'\"}")), 1, default);

        Assert.Equal(DispatchOutcome.DeadLettered, result.Outcome);
        var dead = await SingleDeadLetterAsync(rig);
        Assert.Equal("template_error", dead.Reason!.Code);
        Assert.Equal("unknown filter 'shout' (line 3, column 7)", dead.Reason.Detail);
        Assert.Empty(rig.Braze.Requests);
    }

    [Fact]
    public async Task Dispatch_TemplateAborted_LoggedNotSentNotDeadLettered()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope("{\"abort\":\"user opted out\"}")), 1, default);

        Assert.Equal(DispatchOutcome.Aborted, result.Outcome);
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3006 && r.Message.Contains("user opted out", StringComparison.Ordinal));
        Assert.Empty(rig.Braze.Requests);
        Assert.Empty(await rig.ReceiveAllAsync(rig.Poison));
    }

    [Fact]
    public async Task Dispatch_NotAnEnvelope_DeadLetteredAsInvalidEnvelopeWithTheRawText()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync("{\"hello\":1}", 1, default);

        Assert.Equal(DispatchOutcome.DeadLettered, result.Outcome);
        var raw = Assert.Single(await rig.ReceiveAllAsync(rig.Poison));
        var entry = DeadLetterCodec.Parse(raw.Body.ToMemory());
        Assert.Equal(PoisonKind.DeadLetter, entry.Kind);
        Assert.Equal("invalid_envelope", entry.Reason!.Code);
        using var document = JsonDocument.Parse(raw.Body.ToString());
        Assert.Equal("{\"hello\":1}", document.RootElement.GetProperty("rawMessage").GetString());
    }

    [Fact]
    public async Task Dispatch_429WithReset_NoRequestReachesBrazeBeforeTheReset()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var reset = DateTimeOffset.FromUnixTimeSeconds(TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() + 2);
        rig.Braze.Script(new SandboxAnswer.Status(429, "{\"message\":\"Rate limit exceeded\"}", reset));
        var dispatcher = rig.Host.Get<OutboxDispatcher>();

        var result = await dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default);

        Assert.Equal(DispatchOutcome.Delivered, result.Outcome);
        var requests = rig.Braze.Requests;
        Assert.Equal([429, 201], requests.Select(r => r.Status));
        Assert.Equal(0, requests.Skip(1).Count(r => r.ArrivedAt < reset));
        Assert.Equal(0, requests.Count(r => r.InsideAnnouncedWindow));
    }

    [Fact]
    public async Task Dispatch_OtherDispatchDuringAn429Window_WaitsForTheResetInsteadOfSending()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var reset = DateTimeOffset.FromUnixTimeSeconds(TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() + 2);
        rig.Braze.Script(new SandboxAnswer.Status(429, "{\"message\":\"Rate limit exceeded\"}", reset));
        var dispatcher = rig.Host.Get<OutboxDispatcher>();

        var first = dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default);
        // The others start once the first has had its 429 (event 3015: the family is held).
        await rig.Host.WaitForLogAsync(3015);
        var others = Enumerable.Range(0, 5).Select(_ => dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default)).ToList();
        var results = await Task.WhenAll(others.Prepend(first));

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        var requests = rig.Braze.Requests;
        Assert.Equal(7, requests.Count);
        Assert.Equal(1, rig.Braze.RateLimitedAnswers);
        Assert.Equal(0, requests.Count(r => r.ArrivedAt < reset && r.Status != 429));
        Assert.Equal(0, requests.Count(r => r.InsideAnnouncedWindow));
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3009);
    }

    [Fact]
    public async Task Dispatch_LongRateLimitWait_ReEnqueuedInvisibleThenVisibleAfterTheWait()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:ShortRateLimitWait"] = "00:00:00", ["Dispatch:RateLimitJitter"] = "00:00:00" });
        var before = TimeProvider.System.GetUtcNow();
        rig.Braze.Script(new SandboxAnswer.Status(429, "{\"message\":\"Rate limit exceeded\"}", RetryAfter: "2"));
        var envelope = rig.Envelope(UserPayload);

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(envelope), 1, default);
        var deferredAt = TimeProvider.System.GetUtcNow();

        Assert.Equal(DispatchOutcome.Deferred, result.Outcome);
        Assert.Equal("rate_limit", result.Reason);
        // The message comes back no earlier than Retry-After (2 s) after Braze's answer, and no later than the later of
        // that and the fake's X-RateLimit-Reset (the end of its 3-second window) placed on the relay's clock through the
        // answer's whole-second Date header (up to 1 s later), plus at most a tenth to spread deferred messages.
        var answeredAt = rig.Braze.Requests[0].ArrivedAt;
        Assert.True(deferredAt + result.Delay!.Value >= answeredAt + TimeSpan.FromSeconds(2), $"back at {deferredAt + result.Delay.Value:O}, answered {answeredAt:O}");
        var windowEnd = DateTimeOffset.FromUnixTimeSeconds((before.ToUnixTimeSeconds() / 3 + 1) * 3);
        Assert.True(result.Delay.Value <= ((windowEnd - before) + TimeSpan.FromSeconds(3)) * 1.1, $"delay {result.Delay.Value}");
        Assert.Single(rig.Braze.Requests);
        Assert.Empty(await rig.ReceiveAllAsync(rig.Outbox));

        var deadline = TimeProvider.System.GetUtcNow() + TimeSpan.FromSeconds(20);
        Azure.Storage.Queues.Models.QueueMessage[] visible = [];
        while (visible.Length == 0 && TimeProvider.System.GetUtcNow() < deadline)
        {
            await Task.Delay(250);
            visible = await rig.ReceiveAllAsync(rig.Outbox);
        }

        var back = EnvelopeCodec.Deserialize(Assert.Single(visible).Body);
        Assert.Equal(envelope.Id, back.Id);
        Assert.Equal(0, back.Attempt);
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3008);
    }

    [Fact]
    public async Task Dispatch_WindowSpentWithoutA429_NextDispatchWaitsForTheReset()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.SetLimit(BrazeBucket.UsersTrack, 1, TimeSpan.FromSeconds(2));
        var dispatcher = rig.Host.Get<OutboxDispatcher>();

        var first = await dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default);
        var reset = DateTimeOffset.FromUnixTimeSeconds((rig.Braze.Requests[0].ArrivedAt.ToUnixTimeSeconds() / 2 + 1) * 2);
        var second = await dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default);

        Assert.Equal(DispatchOutcome.Delivered, first.Outcome);
        Assert.Equal(DispatchOutcome.Delivered, second.Outcome);
        // Braze's "X-RateLimit-Remaining: 0" closed the budget: the second request waited for the new window, no 429 needed.
        Assert.Equal([201, 201], rig.Braze.Requests.Select(r => r.Status));
        Assert.True(rig.Braze.Requests[1].ArrivedAt >= reset, $"second request at {rig.Braze.Requests[1].ArrivedAt:O}, reset {reset:O}");
    }

    [Fact]
    public async Task Dispatch_RateLimitedPastMaxMessageAge_DeadLetteredAsExpired()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:ShortRateLimitWait"] = "00:00:00", ["Dispatch:MaxMessageAge"] = "00:10:00" }, time: clock);
        var envelope = rig.Envelope(UserPayload) with { ReceivedAt = clock.GetUtcNow().AddMinutes(-9) };
        rig.Braze.Script(new SandboxAnswer.Status(429, "{\"message\":\"Rate limit exceeded\"}", RetryAfter: "120"));

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(envelope), 1, default);

        Assert.Equal(DispatchOutcome.DeadLettered, result.Outcome);
        var dead = await SingleDeadLetterAsync(rig);
        Assert.Equal("expired", dead.Reason!.Code);
        Assert.Equal(429, dead.Reason.Status);
        Assert.Empty(await rig.ReceiveAllAsync(rig.Outbox));
    }

    [Fact]
    public async Task Dispatch_TemplateTargetsAPathOffTheAllowList_DeadLetteredAndNothingSent()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope("{\"user_id\":\"u\",\"endpoint\":\"/users/delete\"}")), 1, default);

        Assert.Equal(DispatchOutcome.DeadLettered, result.Outcome);
        Assert.Equal("endpoint_not_allowed", (await SingleDeadLetterAsync(rig)).Reason!.Code);
        Assert.Empty(rig.Braze.Requests);
    }

    private static async Task<PoisonEntry> SingleDeadLetterAsync(DispatchRig rig)
    {
        var raw = Assert.Single(await rig.ReceiveAllAsync(rig.Poison));
        Assert.DoesNotContain(DispatchRig.ApiKey, raw.Body.ToString(), StringComparison.Ordinal);
        var leak = rig.Host.Logs.GetSnapshot().FirstOrDefault(r => (r.Message + string.Join(';', r.StructuredState?.Select(kv => kv.Key + "=" + kv.Value) ?? [])).Contains(DispatchRig.ApiKey, StringComparison.Ordinal));
        Assert.True(leak is null, leak?.Category + " " + leak?.Id + " " + leak?.Message);
        var entry = DeadLetterCodec.Parse(raw.Body.ToMemory());
        Assert.Equal(PoisonKind.DeadLetter, entry.Kind);
        return entry;
    }
}
