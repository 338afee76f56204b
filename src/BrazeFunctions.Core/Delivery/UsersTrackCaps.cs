using System.Collections.Concurrent;
using BrazeFunctions.Core.Braze;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Delivery;

/// <summary>
/// The object cap of one <c>/users/track</c> request per workspace: <c>Templates:MaxUsersTrackObjects</c> (default 75),
/// or the workspace's own setting. When Braze answers "Max Input Length Exceeded" the cap is wrong for that workspace's
/// contract, and it is halved for the rest of the process's life.
/// </summary>
internal sealed class UsersTrackCaps(IOptions<BrazeRequestLimits> limits, BrazeWorkspaces workspaces)
{
    private readonly ConcurrentDictionary<string, int> _lowered = new(StringComparer.Ordinal);

    public int For(string workspace) =>
        _lowered.TryGetValue(workspace, out var lowered) ? lowered : Configured(workspace);

    /// <summary>Halves the workspace's cap (never below 1); returns the new cap.</summary>
    public int Halve(string workspace, int observedObjects) =>
        _lowered.AddOrUpdate(workspace, _ => Math.Max(1, Math.Min(Configured(workspace), observedObjects) / 2), (_, current) => Math.Max(1, Math.Min(current, observedObjects) / 2));

    /// <summary>Entries allowed in the list a merge of <paramref name="kind"/> concatenates: recipients of a trigger (a setting), aliases to identify or subscription users (Braze's 50).</summary>
    public int ListCap(MergeKind kind) => kind == MergeKind.Recipients ? limits.Value.MaxTriggerRecipients : BrazeRequestLimits.MaxUsersPerListRequest;

    private int Configured(string workspace) =>
        workspaces.TryGet(workspace, out var configured) && configured.MaxUsersTrackObjects is { } cap ? cap : limits.Value.MaxUsersTrackObjects;
}
