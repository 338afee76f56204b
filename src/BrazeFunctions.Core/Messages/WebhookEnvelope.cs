namespace BrazeFunctions.Core.Messages;

/// <summary>
/// What travels on the outbox queue: one accepted webhook and the facts about its receipt.
/// <see cref="PayloadJson"/> is the request body exactly as Braze sent it (a JSON object, UTF-8).
/// </summary>
/// <param name="Version">Envelope schema version; readers reject versions they do not know.</param>
/// <param name="Id">Message id, assigned by the ingress and returned to Braze in the 202 body.</param>
/// <param name="Route">The template route the webhook was posted to.</param>
/// <param name="ReceivedAt">When the ingress accepted the webhook.</param>
/// <param name="PayloadJson">The raw request body.</param>
/// <param name="CorrelationId">W3C traceparent of the ingress request, tying the delivery to it in Application Insights.</param>
/// <param name="IdempotencyKey">The caller's <c>Idempotency-Key</c> header, when it sent one.</param>
/// <param name="Attempt">Delivery attempts made so far by the relay's own retry schedule (0 when freshly received).</param>
public sealed record WebhookEnvelope(
    int Version,
    string Id,
    string Route,
    DateTimeOffset ReceivedAt,
    string PayloadJson,
    string? CorrelationId,
    string? IdempotencyKey,
    int Attempt)
{
    public const int CurrentVersion = 1;

    /// <summary>
    /// When an operator replayed this message from the dead-letter queue. Optional (older instances ignore it): message age
    /// limits count from here when it is set, while <see cref="ReceivedAt"/> stays the original receipt for the record.
    /// </summary>
    public DateTimeOffset? ReplayedAt { get; init; }

    /// <summary>
    /// Set by a replay: when the message's previous life started (its receipt, or its previous replay), so the day whose
    /// idempotency table holds what that life recorded. A replayed copy claims in the table of its own replay day and
    /// checks that earlier table once, when it claims. Optional.
    /// </summary>
    public DateTimeOffset? PriorRecordsAt { get; init; }

    /// <summary>
    /// Set by <c>deadletter replay --include-ambiguous</c>: the operator chose to resend a message whose earlier outcome is
    /// unknown, so the dispatcher takes over its delivery claim instead of dead-lettering it again. Optional.
    /// </summary>
    public bool OverrideClaim { get; init; }

    /// <summary>
    /// Send this message in a request of its own, never merged with others: set when a merged request was refused and
    /// splitting it could not single out the bad message. Optional.
    /// </summary>
    public bool SendAlone { get; init; }

    /// <summary>
    /// The token of the delivery claim this copy inherits: written when a run ends with its outcome unknown and keeps its
    /// claim (an ambiguous answer under the <c>retry</c> policy, a request cut off by shutdown). The copy that carries the
    /// claim's token is its one successor; any other copy of the envelope that finds the claim young defers. Optional.
    /// </summary>
    public string? ClaimToken { get; init; }

    /// <summary>
    /// The blob that holds <see cref="PayloadJson"/> when the webhook was too large for a queue message (the claim-check).
    /// On the queue the envelope then carries this name instead of the payload; the dispatcher reads the payload back
    /// before rendering. Optional.
    /// </summary>
    public string? PayloadBlob { get; init; }

    /// <summary>The time message age limits count from: the replay time when replayed, else the receipt.</summary>
    public DateTimeOffset AgeClockStart => ReplayedAt ?? ReceivedAt;
}
