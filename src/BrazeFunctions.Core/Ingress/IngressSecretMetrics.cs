using System.Diagnostics.Metrics;
using BrazeFunctions.Core.Diagnostics;

namespace BrazeFunctions.Core.Ingress;

/// <summary>Which shared secret a webhook carried.</summary>
internal enum SecretMatch
{
    /// <summary>No shared secret is configured.</summary>
    NotRequired,

    /// <summary>The header matched <c>Ingress__SharedSecret</c>.</summary>
    Current,

    /// <summary>The header matched <c>Ingress__NextSharedSecret</c>.</summary>
    Next,

    /// <summary>The header is missing or matched neither.</summary>
    None,
}

/// <summary>
/// <c>relay.ingress.secret_matched{secret=current|next|none}</c>: during a rotation it shows when webhooks signed with the old
/// secret have stopped (Braze retries carry the header they were rendered with), which is when the old one can go.
/// </summary>
internal sealed class IngressSecretMetrics
{
    private readonly Counter<long> _matched;

    public IngressSecretMetrics(RelayMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _matched = metrics.Meter.CreateCounter<long>("relay.ingress.secret_matched", "{webhook}",
            "Webhooks by the shared secret they carried (current, next or none), while a shared secret is configured.");
    }

    internal void Matched(SecretMatch match)
    {
        if (match != SecretMatch.NotRequired)
        {
            _matched.Add(1, new KeyValuePair<string, object?>("secret", match.ToString().ToLowerInvariant()));
        }
    }
}
