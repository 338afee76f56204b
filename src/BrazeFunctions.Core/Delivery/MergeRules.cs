using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Delivery;

/// <summary>The requests that may share one Braze call: one workspace, one endpoint, one merge kind, and for triggers one set of other fields.</summary>
internal readonly record struct MergeGroup(string Workspace, string Endpoint, MergeKind Kind, string Key);

/// <summary>
/// Which messages travel together, decided in one place: whether a message waits for company at all (the template's
/// <c>coalesce</c>, a message re-queued to be sent alone, a linger of zero), how its body merges (<see cref="RequestMerger"/>),
/// which group it joins, and when a group has no room left (the workspace's object cap, the recipient cap, the request
/// size, no recipient twice). The batcher only holds groups and sends them.
/// </summary>
internal sealed class MergeRules(IOptions<CoalescingOptions> options, UsersTrackCaps caps)
{
    /// <summary>True when a message may wait for company: the template allows it, the message was not re-queued alone, and the linger is on.</summary>
    public bool MayWaitForCompany(bool templateCoalesces, bool sendAlone) =>
        templateCoalesces && !sendAlone && options.Value.BatchLinger > TimeSpan.Zero;

    /// <summary>How the rendered body may merge; <see cref="MergeKind.None"/> (with the reason) when it travels alone.</summary>
    public static RequestShape Shape(string endpoint, string bodyJson, bool mayWaitForCompany) => RequestMerger.Analyze(endpoint, bodyJson, mayWaitForCompany);

    public static MergeGroup GroupOf(DeliveryItem item) => new(item.Workspace.Name, item.Endpoint, item.Shape.Kind, item.Shape.MergeKey);

    /// <summary>Whether <paramref name="item"/> fits beside what <paramref name="load"/> already carries.</summary>
    public bool Fits(MergeLoad load, DeliveryItem item) =>
        load.Objects + item.Shape.Objects <= ObjectCap(item) && load.Bytes + item.Shape.Bytes <= options.Value.MaxRequestBytes
        && !item.Shape.RecipientIds.Any(load.Recipients.Contains);

    /// <summary>Whether a group of <paramref name="first"/>'s kind carrying <paramref name="load"/> has reached a cap.</summary>
    public bool IsFull(MergeLoad load, DeliveryItem first) => load.Objects >= ObjectCap(first) || load.Bytes >= options.Value.MaxRequestBytes;

    private int ObjectCap(DeliveryItem item) => item.Shape.Kind == MergeKind.Recipients ? caps.RecipientCap : caps.For(item.Workspace.Name);
}

/// <summary>What one group of merged requests carries so far. Not thread-safe: its owner guards it.</summary>
internal sealed class MergeLoad
{
    private readonly HashSet<string> _recipients = new(StringComparer.Ordinal);

    public int Objects { get; private set; }

    public int Bytes { get; private set; }

    public IReadOnlySet<string> Recipients => _recipients;

    public void Add(DeliveryItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        Objects += item.Shape.Objects;
        Bytes += item.Shape.Bytes;
        _recipients.UnionWith(item.Shape.RecipientIds);
    }
}
