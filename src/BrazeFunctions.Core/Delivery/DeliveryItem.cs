using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.Core.Messages;

namespace BrazeFunctions.Core.Delivery;

/// <summary>
/// One message's part of a Braze request: its rendered body, how it may be merged, the key that names its delivery and
/// its policy for an unknown outcome. The batcher and the sender share it; its ending is decided from its own report.
/// </summary>
internal sealed class DeliveryItem
{
    private const int Waiting = 0;
    private const int Sending = 1;
    private const int Withdrawn = 2;

    private readonly TaskCompletionSource<DeliveryReport> _report = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;

    public DeliveryItem(WebhookEnvelope envelope, BrazeWorkspace workspace, string endpoint, RequestShape shape, string dedupeKey, AmbiguousOutcomePolicy policy, bool coalesce)
    {
        Envelope = envelope;
        Workspace = workspace;
        Endpoint = endpoint;
        Shape = shape;
        DedupeKey = dedupeKey;
        Policy = policy;
        Coalesce = coalesce;
        Bucket = BrazeEndpoints.BucketOf(endpoint, shape.Body);
    }

    public WebhookEnvelope Envelope { get; }

    public string Route => Envelope.Route;

    public string MessageId => Envelope.Id;

    public BrazeWorkspace Workspace { get; }

    public string Endpoint { get; }

    public RequestShape Shape { get; }

    /// <summary>The Braze rate-limit bucket the request is counted in, decided once from its endpoint and rendered body.</summary>
    public BrazeBucket Bucket { get; }

    /// <summary>The template's key, else the webhook's Idempotency-Key header, else the message id.</summary>
    public string DedupeKey { get; }

    public AmbiguousOutcomePolicy Policy { get; }

    /// <summary>False when the template or the envelope says this request must be sent alone.</summary>
    public bool Coalesce { get; }

    /// <summary>
    /// May be sent again when the outcome is unknown: only when the template's policy says a repeat is harmless. An
    /// operator's replay (<see cref="WebhookEnvelope.OverrideClaim"/>) takes an old claim over once, before its first send;
    /// it never makes a later unknown outcome resendable.
    /// </summary>
    public bool MayResendWhenAmbiguous => Policy == AmbiguousOutcomePolicy.Retry;

    /// <summary>The claim this message holds on its delivery key, once claimed.</summary>
    public IdempotencyRecord? Claim { get; set; }

    /// <summary>This copy held a claim at some point (or was sent without one): an operator's override it carried is spent.</summary>
    public bool HasClaimed { get; set; }

    /// <summary>Set when the store was down and the policy allowed sending without a claim.</summary>
    public bool SentUnclaimed { get; set; }

    /// <summary>When the first request carrying this item left, and when the last answer (or failure) arrived.</summary>
    public DateTimeOffset? FirstSentAt { get; set; }

    public DateTimeOffset? LastAnsweredAt { get; set; }

    /// <summary>How many messages the last request carrying this item held (its batch size, for the trace record).</summary>
    public int RequestMessages { get; set; }

    public Task<DeliveryReport> Report => _report.Task;

    /// <summary>
    /// The envelope a deferral writes back. It names the claim it inherits only when the claim is kept for it (the outcome
    /// is unknown); it keeps the operator's override only while the override is unspent, so a replay takes a claim over once.
    /// </summary>
    public WebhookEnvelope NextEnvelope(bool inheritsClaim) => Envelope with
    {
        ClaimToken = inheritsClaim ? Claim?.Token : null,
        OverrideClaim = Envelope.OverrideClaim && !HasClaimed,
    };

    /// <summary>Takes the item for sending; false when its caller already withdrew it.</summary>
    public bool TryStartSending() => Interlocked.CompareExchange(ref _state, Sending, Waiting) != Withdrawn;

    /// <summary>Withdraws the item before it is sent (its caller was cancelled); false when it is already being sent.</summary>
    public bool TryWithdraw()
    {
        if (Interlocked.CompareExchange(ref _state, Withdrawn, Waiting) != Waiting)
        {
            return false;
        }

        _report.TrySetResult(new DeliveryReport.Withdrawn());
        return true;
    }

    public bool IsWithdrawn => Volatile.Read(ref _state) == Withdrawn;

    public void Finish(DeliveryReport report) => _report.TrySetResult(report);
}

/// <summary>What happened to one item's part of the request(s) it travelled in.</summary>
internal abstract record DeliveryReport
{
    private DeliveryReport()
    {
    }

    /// <summary>Braze answered 2xx; <paramref name="Errors"/> are Braze's partial errors about this item's own objects.</summary>
    public sealed record Accepted(BrazeResponse Response, IReadOnlyList<BrazePartialError> Errors, bool AllObjectsRefused) : DeliveryReport;

    /// <summary>Braze refused this item (a 4xx for it alone, or a refused request whose errors named its objects).</summary>
    public sealed record Refused(BrazeResponse Response, IReadOnlyList<BrazePartialError> Errors) : DeliveryReport;

    /// <summary>The budget is closed for longer than a function may wait; nothing was applied.</summary>
    public sealed record RateLimited(TimeSpan Wait, BrazeResponse? Response) : DeliveryReport;

    /// <summary>Braze refused the workspace's key (401) or its permission for the endpoint (403): held for the credential pause.</summary>
    public sealed record CredentialPaused(TimeSpan Wait, BrazeResponse? Response) : DeliveryReport;

    /// <summary>A 5xx, 408, timeout or connection failure after the in-place retries; ambiguous when Braze may have applied it.</summary>
    public sealed record Failed(BrazeResponse Response, bool Ambiguous) : DeliveryReport;

    /// <summary>The delivery's record says Braze already accepted it: nothing was sent.</summary>
    public sealed record Duplicate(IdempotencyRecord Record) : DeliveryReport;

    /// <summary>Another message holds a fresh claim on the same delivery: it is being sent right now.</summary>
    public sealed record ClaimedElsewhere(IdempotencyRecord Record, TimeSpan Age) : DeliveryReport;

    /// <summary>This message's own claim says an earlier run of it already ended in the dead-letter queue: this copy is a repeat.</summary>
    public sealed record AlreadyDeadLettered(IdempotencyRecord Record) : DeliveryReport;

    /// <summary>This message's own claim, or a stale one, was found: an earlier run may have reached Braze.</summary>
    public sealed record OutcomeUnknown(IdempotencyRecord Record, bool OwnClaim) : DeliveryReport;

    /// <summary>The idempotency store failed and the policy does not allow sending without a claim.</summary>
    public sealed record StoreUnavailable(string Problem) : DeliveryReport;

    /// <summary>A merged request was refused and splitting it ran out of budget before this item was singled out.</summary>
    public sealed record SplitUnresolved(BrazeResponse Response) : DeliveryReport;

    /// <summary>The caller was cancelled before the item was sent.</summary>
    public sealed record Withdrawn : DeliveryReport;

    /// <summary>The host is shutting down and the item could not be sent in time.</summary>
    public sealed record ShutDown : DeliveryReport;
}
