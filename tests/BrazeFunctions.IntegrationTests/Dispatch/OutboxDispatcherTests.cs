using System.Text.Json;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using static BrazeFunctions.IntegrationTests.Infrastructure.OutboxDispatcherKit;

namespace BrazeFunctions.IntegrationTests.Dispatch;

/// <summary>The dispatcher against a real Azurite and the Braze sandbox: delivered, dead-lettered with the reason, or logged.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class OutboxDispatcherTests(AzuriteFixture azurite)
{
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
    public async Task Dispatch_TemplateTargetsAPathOffTheAllowList_DeadLetteredAndNothingSent()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope("{\"user_id\":\"u\",\"endpoint\":\"/users/delete\"}")), 1, default);

        Assert.Equal(DispatchOutcome.DeadLettered, result.Outcome);
        Assert.Equal("endpoint_not_allowed", (await SingleDeadLetterAsync(rig)).Reason!.Code);
        Assert.Empty(rig.Braze.Requests);
    }
}
