using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Storage;
using BrazeFunctions.IntegrationTests.Infrastructure;

namespace BrazeFunctions.IntegrationTests.Dispatch;

/// <summary>
/// The one writer of dead letters, against Azurite's poison queue: envelope plus reason, never expiring; a reason too
/// large for a queue message is shortened, and an envelope too large even then goes bare.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class DeadLetterWriterTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task DeadLetterAsync_Cause_WritesTheEnvelopeWithItsReasonAndNeverExpires()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var envelope = rig.Envelope("{\"user_id\":\"u-1\"}", attempt: 2);
        var cause = new DeadLetterCause(DeadLetterCodes.RetriesExhausted, "503 three times") { Workspace = "eu", Endpoint = "/users/track", Response = Answer(503, "busy") };

        var result = await Writer(rig).DeadLetterAsync(envelope, cause);

        Assert.Equal((DispatchOutcome.DeadLettered, DeadLetterCodes.RetriesExhausted, (int?)503), (result.Outcome, result.Reason, result.StatusCode));
        var message = Assert.Single(await rig.ReceiveAllAsync(rig.Poison));
        Assert.True(message.ExpiresOn > TimeProvider.System.GetUtcNow().AddYears(100), $"expires {message.ExpiresOn:O}");
        var entry = DeadLetterCodec.Parse(message.Body.ToMemory());
        Assert.Equal(PoisonKind.DeadLetter, entry.Kind);
        Assert.Equal(envelope, entry.Envelope);
        Assert.Equal((DeadLetterCodes.RetriesExhausted, (int?)503, "busy", "503 three times", "/users/track", "eu", 2),
            (entry.Reason!.Code, entry.Reason.Status, entry.Reason.BrazeMessage, entry.Reason.Detail, entry.Reason.Endpoint, entry.Reason.Workspace, entry.Reason.Attempt));
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3010);
    }

    [Fact]
    public async Task DeadLetterUnreadableAsync_NotAnEnvelope_KeepsTheRawTextAndTheProblem()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);

        var result = await Writer(rig).DeadLetterUnreadableAsync("not json at all", "not an envelope");

        Assert.Equal(DeadLetterCodes.InvalidEnvelope, result.Reason);
        var raw = Assert.Single(await rig.ReceiveAllAsync(rig.Poison)).Body.ToString();
        Assert.Contains("not json at all", raw, StringComparison.Ordinal);
        var entry = DeadLetterCodec.Parse(BinaryData.FromString(raw).ToMemory());
        Assert.Equal((DeadLetterCodes.InvalidEnvelope, "not an envelope"), (entry.Reason!.Code, entry.Reason.Detail));
        Assert.Null(entry.Envelope);
    }

    [Fact]
    public async Task DeadLetterAsync_ReasonTooLargeBesideTheEnvelope_IsShortenedAndBrazesMessageDropped()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var envelope = rig.Envelope("{\"user_id\":\"u-1\"}");
        var cause = new DeadLetterCause(DeadLetterCodes.RetriesExhausted, new string('d', 60_000)) { Endpoint = "/users/" + new string('e', 300), Response = Answer(500, new string('m', 10_000)) };

        await Writer(rig).DeadLetterAsync(envelope, cause);

        var entry = DeadLetterCodec.Parse(Assert.Single(await rig.ReceiveAllAsync(rig.Poison)).Body.ToMemory());
        Assert.Equal(PoisonKind.DeadLetter, entry.Kind);
        Assert.Equal(envelope, entry.Envelope);
        Assert.Null(entry.Reason!.BrazeMessage);
        Assert.Equal(new string('d', EnvelopeHeadroom.ShortDetailLength) + "...", entry.Reason.Detail);
        Assert.Equal(("/users/" + new string('e', 300))[..EnvelopeHeadroom.ShortEndpointLength] + "...", entry.Reason.Endpoint);
    }

    [Fact]
    public async Task DeadLetterAsync_EnvelopeTooLargeEvenWithTheShortReason_GoesBareAndTheLogKeepsTheReason()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        // An envelope written before the ingress left headroom for the reason: it fills a queue message on its own.
        var envelope = rig.Envelope("{\"pad\":\"" + new string('x', QueueMessageLimits.MaxBytesBeforeBase64 - 400) + "\"}");

        await Writer(rig).DeadLetterAsync(envelope, new DeadLetterCause(DeadLetterCodes.RetriesExhausted, new string('d', 1_000)));

        var entry = DeadLetterCodec.Parse(Assert.Single(await rig.ReceiveAllAsync(rig.Poison)).Body.ToMemory());
        Assert.Equal(PoisonKind.HostPoison, entry.Kind);
        Assert.Equal(envelope.Id, entry.Envelope?.Id);
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3012 && r.Message.Contains(envelope.Id, StringComparison.Ordinal));
    }

    private static DeadLetterWriter Writer(DispatchRig rig) => rig.Host.Get<DeadLetterWriter>();

    private static BrazeResponse Answer(int status, string message) =>
        new("/users/track", status, BrazeResponse.Classify(status), RateLimitInfo.None, message, [], TimeSpan.Zero, null);
}
