using System.Text.Json.Nodes;
using BrazeFunctions.Core.Braze;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Delivery;

/// <summary>The requests that may share one Braze call: one workspace, one endpoint, one merge kind, and for list merges (triggers, identifications, subscriptions) one set of other fields.</summary>
internal readonly record struct MergeGroup(string Workspace, string Endpoint, MergeKind Kind, string Key);

/// <summary>
/// Which messages travel together, decided in one place: whether a message waits for company at all (the template's
/// <c>coalesce</c>, a message re-queued to be sent alone, a linger of zero), how its body merges (<see cref="RequestMerger"/>),
/// which group it joins, and when a group has no room left (the workspace's object cap, counted in total or per array
/// as its contract says, the cap on a list's entries, the request size, no user twice). The batcher only holds groups and
/// sends them.
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
    public bool Fits(MergeLoad load, DeliveryItem item)
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(item);
        var objectsFit = PerArray(item)
            ? MergeLoad.TrackArrays.All(name => load.ObjectsIn(name) + MergeLoad.CountIn(item, name) <= caps.For(item.Workspace.Name))
            : load.Objects + item.Shape.Objects <= ObjectCap(item);
        return objectsFit && load.Bytes + item.Shape.Bytes <= options.Value.MaxRequestBytes && !item.Shape.RecipientIds.Any(load.Recipients.Contains);
    }

    /// <summary>Whether a group of <paramref name="first"/>'s kind carrying <paramref name="load"/> has reached a cap (per array: every array is full).</summary>
    public bool IsFull(MergeLoad load, DeliveryItem first)
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(first);
        var objectsFull = PerArray(first)
            ? MergeLoad.TrackArrays.All(name => load.ObjectsIn(name) >= caps.For(first.Workspace.Name))
            : load.Objects >= ObjectCap(first);
        return objectsFull || load.Bytes >= options.Value.MaxRequestBytes;
    }

    /// <summary>
    /// How much of one full request a group carrying <paramref name="load"/> takes: its objects over the cap (three caps
    /// per array), 1 for a request that travels alone. The pacer books that much of a slot for a batch that leaves its line.
    /// </summary>
    public double RequestShare(MergeLoad load, DeliveryItem first)
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(first);
        if (first.Shape.Kind == MergeKind.None)
        {
            return 1;
        }

        var capacity = PerArray(first) ? MergeLoad.TrackArrays.Count * caps.For(first.Workspace.Name) : ObjectCap(first);
        return Math.Clamp((double)load.Objects / Math.Max(1, capacity), 0.01, 1);
    }

    /// <summary>Legacy contracts count the cap per array of a <c>/users/track</c> request (75 each, 225 per call).</summary>
    private static bool PerArray(DeliveryItem item) => item.Shape.Kind == MergeKind.UsersTrack && item.Workspace.CapShape == UsersTrackCapShape.PerArray;

    private int ObjectCap(DeliveryItem item) => item.Shape.Kind.ListField() is null ? caps.For(item.Workspace.Name) : caps.ListCap(item.Shape.Kind);
}

/// <summary>What one group of merged requests carries so far. Not thread-safe: its owner guards it.</summary>
internal sealed class MergeLoad
{
    /// <summary>The arrays of a <c>/users/track</c> body that carry objects.</summary>
    public static readonly IReadOnlyList<string> TrackArrays = ["attributes", "events", "purchases"];

    private readonly HashSet<string> _recipients = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _perArray = new(StringComparer.Ordinal);

    public int Objects { get; private set; }

    public int Bytes { get; private set; }

    public IReadOnlySet<string> Recipients => _recipients;

    public void Add(DeliveryItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        Objects += item.Shape.Objects;
        Bytes += item.Shape.Bytes;
        _recipients.UnionWith(item.Shape.RecipientIds);
        if (item.Shape.Kind == MergeKind.UsersTrack)
        {
            foreach (var name in TrackArrays)
            {
                _perArray[name] = ObjectsIn(name) + CountIn(item, name);
            }
        }
    }

    /// <summary>Objects carried so far in one array of a <c>/users/track</c> body.</summary>
    public int ObjectsIn(string array) => _perArray.GetValueOrDefault(array);

    /// <summary>Objects <paramref name="item"/> brings to one array of a <c>/users/track</c> body.</summary>
    public static int CountIn(DeliveryItem item, string array)
    {
        ArgumentNullException.ThrowIfNull(item);
        return item.Shape.Body[array] is JsonArray items ? items.Count : 0;
    }
}
