using System.Diagnostics;

namespace BrazeFunctions.Core.Diagnostics;

/// <summary>
/// The relay's trace source. A delivery's activity takes the envelope's traceparent (the ingress request) as its parent,
/// so the webhook and its delivery are one operation in Application Insights.
/// </summary>
public static class RelayActivity
{
    public const string SourceName = "BrazeFunctions.Relay";

    internal static readonly ActivitySource Source = new(SourceName);

    internal static Activity? StartDelivery(string route, string messageId, int attempt, string? traceParent)
    {
        ActivityContext.TryParse(traceParent, null, out var parent);
        var activity = Source.StartActivity("Deliver " + route, ActivityKind.Consumer, parent);
        activity?.SetTag("relay.route", route);
        activity?.SetTag("relay.message_id", messageId);
        activity?.SetTag("relay.attempt", attempt);
        return activity;
    }
}
