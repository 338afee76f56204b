using System.Diagnostics.Metrics;

namespace BrazeFunctions.Core.Diagnostics;

/// <summary>
/// The relay's metrics (meter <see cref="MeterName"/>). Names are part of the operator contract: the README, the
/// workbook and the alert rules use them as written here.
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

    public RelayMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);
        _received = Meter.CreateCounter<long>("relay.webhooks.received", "{webhook}", "Webhooks accepted by the ingress and queued.");
        _rejected = Meter.CreateCounter<long>("relay.webhooks.rejected", "{webhook}", "Webhooks the ingress refused, by HTTP status.");
        _delivered = Meter.CreateCounter<long>("relay.deliveries.delivered", "{message}", "Messages Braze accepted (2xx).");
        _rateLimited = Meter.CreateCounter<long>("relay.deliveries.rate_limited", "{response}", "429 answers from Braze.");
        _deferred = Meter.CreateCounter<long>("relay.deliveries.deferred", "{message}", "Messages re-enqueued with a visibility delay, by reason (rate_limit, retry_schedule).");
        _retried = Meter.CreateCounter<long>("relay.deliveries.retried", "{retry}", "In-place retries inside one dispatch.");
        _deadLettered = Meter.CreateCounter<long>("relay.deliveries.dead_lettered", "{message}", "Messages moved to the poison queue, by reason code.");
        _aborted = Meter.CreateCounter<long>("relay.deliveries.aborted", "{message}", "Messages whose template ran abort_message.");
        _partialErrors = Meter.CreateCounter<long>("relay.braze.partial_errors", "{error}", "Items of Braze's errors array on a 2xx answer, by error type.");
        _brazeDuration = Meter.CreateHistogram<double>("relay.braze.request.duration", "s", "Duration of one HTTP request to Braze, by endpoint and status.");
        _deliveryAge = Meter.CreateHistogram<double>("relay.delivery.age", "s", "Time from the ingress accepting a webhook to Braze accepting its request.");
    }

    /// <summary>The meter, for instruments added by other parts of the relay.</summary>
    public Meter Meter { get; }

    public void WebhookReceived(string route) => _received.Add(1, new KeyValuePair<string, object?>("route", route));

    public void WebhookRejected(int statusCode) => _rejected.Add(1, new KeyValuePair<string, object?>("status", statusCode));

    public void Delivered(string route, string endpoint) =>
        _delivered.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("endpoint", endpoint));

    public void RateLimited(string endpoint) => _rateLimited.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint));

    public void Deferred(string route, string reason) =>
        _deferred.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("reason", reason));

    public void Retried(string route) => _retried.Add(1, new KeyValuePair<string, object?>("route", route));

    public void DeadLettered(string route, string reason) =>
        _deadLettered.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("reason", reason));

    public void Aborted(string route) => _aborted.Add(1, new KeyValuePair<string, object?>("route", route));

    public void PartialError(string route, string type) =>
        _partialErrors.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("type", type));

    public void BrazeRequest(string endpoint, string status, TimeSpan duration) =>
        _brazeDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("endpoint", endpoint), new KeyValuePair<string, object?>("status", status));

    public void DeliveryAge(string route, TimeSpan age) =>
        _deliveryAge.Record(Math.Max(0, age.TotalSeconds), new KeyValuePair<string, object?>("route", route));
}
