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

    public RelayMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);
        _received = Meter.CreateCounter<long>("relay.webhooks.received", "{webhook}", "Webhooks accepted by the ingress and queued.");
        _rejected = Meter.CreateCounter<long>("relay.webhooks.rejected", "{webhook}", "Webhooks the ingress refused, by HTTP status.");
    }

    /// <summary>The meter, for instruments added by other parts of the relay.</summary>
    public Meter Meter { get; }

    public void WebhookReceived(string route) => _received.Add(1, new KeyValuePair<string, object?>("route", route));

    public void WebhookRejected(int statusCode) => _rejected.Add(1, new KeyValuePair<string, object?>("status", statusCode));
}
