namespace BrazeFunctions.Core.Messages;

/// <summary>
/// The bytes the relay may add to an envelope after the ingress measured it: a larger attempt count, <c>replayedAt</c>,
/// <c>priorRecordsAt</c>, <c>overrideClaim</c>, <c>sendAlone</c> and <c>claimToken</c> on its later copies, and the dead-letter wrapper with a
/// shortened reason around it. The ingress keeps a message inline only when it still fits a queue message with all of
/// them, so a send-alone deferral, a dead letter with its reason and a replay of a webhook at the limit never fail for
/// size. Measured by writing the worst case, so a new field cannot be forgotten here.
/// </summary>
internal static class EnvelopeHeadroom
{
    /// <summary>The longest text a dead letter's reason keeps in its shortened form (see the dead-letter writer).</summary>
    public const int ShortDetailLength = 200;

    /// <summary>The longest endpoint a shortened reason keeps: a template can render an endpoint off the allow-list of any length.</summary>
    public const int ShortEndpointLength = 128;

    /// <summary>Route names are at most 64 characters; ids, tokens, traceparents and workspace names are shorter.</summary>
    private const int LongestName = 64;

    public static int Bytes { get; } = Measure();

    private static int Measure()
    {
        var bare = new WebhookEnvelope(WebhookEnvelope.CurrentVersion, "x", "x", DateTimeOffset.UnixEpoch, "{}", null, null, 0);
        var latest = new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.FromHours(14)).AddTicks(9_999_999);
        var grown = bare with { Attempt = int.MaxValue, ReplayedAt = latest, PriorRecordsAt = latest, OverrideClaim = true, SendAlone = true, ClaimToken = new string('f', LongestName) };
        // Every character of the free texts escaped (\u0001 is written as six bytes), every name at its longest.
        var name = new string('x', LongestName);
        var reason = new DeadLetterReason(
            new string('x', LongestName), 599, null, new string('\u0001', ShortDetailLength) + "...", new string('\u0001', ShortEndpointLength) + "...",
            name, name, int.MaxValue, latest, latest, name)
        {
            Workspace = name,
        };
        return DeadLetterCodec.Serialize(reason, grown, null).Length - EnvelopeCodec.Serialize(bare).Length;
    }
}
