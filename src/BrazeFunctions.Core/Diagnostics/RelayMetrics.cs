using System.Diagnostics.Metrics;

namespace BrazeFunctions.Core.Diagnostics;

/// <summary>
/// The relay's metrics (meter <see cref="MeterName"/>). Names are part of the operator contract: the README, the
/// workbook and the alert rules use them as written here. Workspace tags carry the workspace's name, never its key.
/// </summary>
public sealed class RelayMetrics
{
    public const string MeterName = "BrazeFunctions.Relay";

    private readonly Counter<long> _received;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _rateLimited;
    private readonly Counter<long> _deferred;
    private readonly Counter<long> _retried;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _aborted;
    private readonly Counter<long> _partialErrors;
    private readonly Histogram<double> _brazeDuration;
    private readonly Histogram<double> _deliveryAge;
    private readonly Histogram<int> _requestObjects;
    private readonly Counter<long> _flushes;
    private readonly UpDownCounter<long> _held;
    private readonly Counter<long> _splitRequests;
    private readonly Counter<long> _pacingWaits;
    private readonly Histogram<double> _pacingWaitDuration;
    private readonly Counter<long> _sharedState;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _ambiguous;
    private readonly Counter<long> _claimConflicts;
    private readonly Counter<long> _storeFailures;
    private readonly Counter<long> _idempotencyOperations;
    private readonly Counter<long> _credentialRejected;

    public RelayMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);
        _received = Meter.CreateCounter<long>("relay.webhooks.received", "{webhook}", "Webhooks accepted by the ingress and queued.");
        _rejected = Meter.CreateCounter<long>("relay.webhooks.rejected", "{webhook}", "Webhooks the ingress refused, by HTTP status and error code (the answer's error field).");
        _delivered = Meter.CreateCounter<long>("relay.deliveries.delivered", "{message}", "Messages Braze accepted (2xx).");
        _rateLimited = Meter.CreateCounter<long>("relay.deliveries.rate_limited", "{response}", "429 answers from Braze.");
        _deferred = Meter.CreateCounter<long>("relay.deliveries.deferred", "{message}", "Messages re-enqueued with a visibility delay, by reason.");
        _retried = Meter.CreateCounter<long>("relay.deliveries.retried", "{retry}", "In-place retries of a Braze request (one per resend, whatever the number of messages in it).");
        _deadLettered = Meter.CreateCounter<long>("relay.deliveries.dead_lettered", "{message}", "Messages moved to the poison queue, by reason code.");
        _aborted = Meter.CreateCounter<long>("relay.deliveries.aborted", "{message}", "Messages whose template ran abort_message.");
        _partialErrors = Meter.CreateCounter<long>("relay.braze.partial_errors", "{error}", "Items of Braze's errors array on a 2xx answer, by error type.");
        _brazeDuration = Meter.CreateHistogram<double>("relay.braze.request.duration", "s", "Duration of one HTTP request to Braze, by endpoint and status.");
        _deliveryAge = Meter.CreateHistogram<double>("relay.delivery.age", "s", "Time from the ingress accepting a webhook to Braze accepting its request.");
        _requestObjects = Meter.CreateHistogram<int>("relay.braze.request.objects", "{object}", "Objects (users/track items or trigger recipients) in one Braze request.");
        _held = Meter.CreateUpDownCounter<long>("relay.batch.held", "{message}", "Messages this instance holds in memory for the coalescer: lingering for company, waiting for budget or being sent. What a crash would hand back to the queue after the host's lease.");
        _flushes = Meter.CreateCounter<long>("relay.batch.flushes", "{request}", "Requests that left the coalescer, by reason: full, linger, alone, shutdown.");
        _splitRequests = Meter.CreateCounter<long>("relay.batch.split_requests", "{request}", "Extra requests spent splitting merged requests Braze refused.");
        _pacingWaits = Meter.CreateCounter<long>("relay.pacing.waits", "{wait}", "Requests that had to wait for rate-limit budget, by outcome: waited, deferred.");
        _pacingWaitDuration = Meter.CreateHistogram<double>("relay.pacing.wait.duration", "s", "Time a request waited for rate-limit budget.");
        _sharedState = Meter.CreateCounter<long>("relay.pacing.shared_state", "{operation}", "Reads and writes of the shared rate-limit record, by operation (read, write, raise) and result: ok, conflict, contended, failed, lost.");
        _duplicates = Meter.CreateCounter<long>("relay.idempotency.duplicates", "{message}", "Repeats suppressed before reaching Braze, by stage: ingress, dispatch.");
        _ambiguous = Meter.CreateCounter<long>("relay.idempotency.ambiguous", "{message}", "Requests whose outcome is unknown, by the policy applied: retry, dead_letter.");
        _claimConflicts = Meter.CreateCounter<long>("relay.idempotency.claim_conflicts", "{message}", "Messages deferred because another message holds the delivery's claim.");
        _storeFailures = Meter.CreateCounter<long>("relay.idempotency.store_failures", "{operation}", "Idempotency store operations that failed, by stage.");
        _idempotencyOperations = Meter.CreateCounter<long>("relay.idempotency.operations", "{operation}", "Table operations of the idempotency store, by operation.");
        _credentialRejected = Meter.CreateCounter<long>("relay.braze.credential_rejected", "{response}", "401 and 403 answers from Braze: the key or its permission was refused.");
    }

    /// <summary>The meter, for instruments added by other parts of the relay.</summary>
    public Meter Meter { get; }

    public void WebhookReceived(string route) => _received.Add(1, Tag("route", route));

    /// <summary>
    /// One refused webhook. The error code tells apart answers that share a status: a 503 <c>storage_unavailable</c> is a
    /// failure the alerts page on, a 503 <c>idempotency_key_in_progress</c> only asks Braze's retry to come back later.
    /// </summary>
    public void WebhookRejected(int statusCode, string error) => _rejected.Add(1, Tag("status", statusCode), Tag("error", error));

    public void Delivered(string route, string workspace, string endpoint) =>
        _delivered.Add(1, Tag("route", route), Tag("workspace", workspace), Tag("endpoint", endpoint));

    public void RateLimited(string workspace, string endpoint) => _rateLimited.Add(1, Tag("workspace", workspace), Tag("endpoint", endpoint));

    public void Deferred(string route, string reason) => _deferred.Add(1, Tag("route", route), Tag("reason", reason));

    public void Retried(string workspace, string endpoint) => _retried.Add(1, Tag("workspace", workspace), Tag("endpoint", endpoint));

    public void DeadLettered(string route, string reason, string? workspace) =>
        _deadLettered.Add(1, Tag("route", route), Tag("reason", reason), Tag("workspace", workspace));

    public void Aborted(string route) => _aborted.Add(1, Tag("route", route));

    public void PartialError(string route, string type) => _partialErrors.Add(1, Tag("route", route), Tag("type", type));

    public void BrazeRequest(string workspace, string endpoint, string status, TimeSpan duration) =>
        _brazeDuration.Record(duration.TotalSeconds, Tag("workspace", workspace), Tag("endpoint", endpoint), Tag("status", status));

    public void DeliveryAge(string route, TimeSpan age) => _deliveryAge.Record(Math.Max(0, age.TotalSeconds), Tag("route", route));

    public void RequestObjects(string workspace, string endpoint, int objects) =>
        _requestObjects.Record(objects, Tag("workspace", workspace), Tag("endpoint", endpoint));

    public void Held(string workspace, string endpoint, int change) => _held.Add(change, Tag("workspace", workspace), Tag("endpoint", endpoint));

    public void Flushed(string workspace, string endpoint, string reason) =>
        _flushes.Add(1, Tag("workspace", workspace), Tag("endpoint", endpoint), Tag("reason", reason));

    public void SplitRequest(string workspace, string endpoint) => _splitRequests.Add(1, Tag("workspace", workspace), Tag("endpoint", endpoint));

    public void PacingWait(string workspace, string bucket, string outcome, TimeSpan waited)
    {
        _pacingWaits.Add(1, Tag("workspace", workspace), Tag("bucket", bucket), Tag("outcome", outcome));
        _pacingWaitDuration.Record(Math.Max(0, waited.TotalSeconds), Tag("workspace", workspace), Tag("bucket", bucket));
    }

    public void SharedState(string operation, string result) => _sharedState.Add(1, Tag("operation", operation), Tag("result", result));

    public void Duplicate(string route, string stage) => _duplicates.Add(1, Tag("route", route), Tag("stage", stage));

    public void Ambiguous(string route, string policy) => _ambiguous.Add(1, Tag("route", route), Tag("policy", policy));

    public void ClaimConflict(string route) => _claimConflicts.Add(1, Tag("route", route));

    public void IdempotencyStoreFailed(string stage) => _storeFailures.Add(1, Tag("stage", stage));

    public void IdempotencyOperation(string operation) => _idempotencyOperations.Add(1, Tag("operation", operation));

    public void CredentialRejected(string workspace, string endpoint, int status) =>
        _credentialRejected.Add(1, Tag("workspace", workspace), Tag("endpoint", endpoint), Tag("status", status));

    private static KeyValuePair<string, object?> Tag(string name, object? value) => new(name, value);
}
