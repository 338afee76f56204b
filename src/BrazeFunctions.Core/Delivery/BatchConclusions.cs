using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Pacing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Delivery;

/// <summary>Items sent together in one request; the first group of a batch holds the batch's ticket.</summary>
internal sealed record SendGroup(List<DeliveryItem> Items, PaceTicket? Ticket, bool ResentAfterNamedErrors);

/// <summary>
/// Turns the final answer to one group's request into a report per item and the follow-up groups: accepted items with
/// their own partial errors, the group's wait on 429 or a credential refusal, a failure for each on 5xx or a timeout; a
/// refused merged request never dead-letters its good items: Braze's errors that name objects single out their items and
/// the rest is sent once more; without such errors the group is split in halves within
/// <see cref="CoalescingOptions.MaxSplitRequests"/> extra requests, and what is still unresolved is handed back to be sent
/// alone. "Max Input Length Exceeded" lowers the workspace's object cap.
/// </summary>
internal sealed class BatchConclusions(
    RateLimitPacer pacer, UsersTrackCaps caps, IOptions<PacingOptions> pacing, IOptions<CoalescingOptions> coalescing, RelayMetrics metrics, ILogger logger)
{
    private const string MaxInputLengthExceeded = "Max Input Length Exceeded";

    /// <summary>Reports every item still in <paramref name="items"/>; returns the extra requests it queued on <paramref name="groups"/>.</summary>
    public int Conclude(SendGroup group, List<DeliveryItem> items, BrazeResponse? response, MergedRequest? merged, PaceDecision? hold, Queue<SendGroup> groups, int extraSoFar)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0)
        {
            return 0;
        }

        if (response is null)
        {
            var wait = hold?.Hold ?? pacing.Value.RateLimitFallbackWait;
            items.ForEach(i => i.Finish(hold?.HoldReason == "credential" ? new DeliveryReport.CredentialPaused(wait, null) : new DeliveryReport.RateLimited(wait, null)));
            return 0;
        }

        var errors = merged is { } request
            ? response.PartialErrors.Select(request.OwnerOf).Where(o => o is not null).Select(o => o!.Value).ToList()
            : [];
        IReadOnlyList<BrazePartialError> ErrorsOf(DeliveryItem item) => [.. errors.Where(e => e.Item == item).Select(e => e.Error)];

        if (Answered(items, response, ErrorsOf))
        {
            return 0;
        }

        var first = items[0];
        if (response.StatusCode == 400 && first.Shape.Kind == MergeKind.UsersTrack && merged is not null
            && response.Message?.Contains(MaxInputLengthExceeded, StringComparison.OrdinalIgnoreCase) == true)
        {
            // The cap is wrong for this workspace's contract, not the messages: lower it and send the halves.
            var cap = caps.Halve(first.Workspace.Name, merged.Objects);
            Log.ObjectCapLowered(logger, first.Workspace.Name, merged.Objects, cap);
            return Split(items, groups, "max_input_length");
        }

        var named = items.Where(i => errors.Any(e => e.Item == i)).ToList();
        if (named.Count > 0 && named.Count < items.Count && !group.ResentAfterNamedErrors)
        {
            named.ForEach(i => i.Finish(new DeliveryReport.Refused(response, ErrorsOf(i))));
            var rest = items.Except(named).ToList();
            groups.Enqueue(new SendGroup(rest, null, ResentAfterNamedErrors: true));
            metrics.SplitRequest(first.Workspace.Name, first.Endpoint);
            Log.BatchResent(logger, first.Workspace.Name, first.Endpoint, named.Count, rest.Count);
            return 1;
        }

        if (extraSoFar + 2 <= coalescing.Value.MaxSplitRequests)
        {
            return Split(items, groups, "refused");
        }

        Log.SplitBudgetSpent(logger, first.Workspace.Name, first.Endpoint, items.Count, coalescing.Value.MaxSplitRequests);
        items.ForEach(i => i.Finish(new DeliveryReport.SplitUnresolved(response)));
        return 0;
    }

    /// <summary>The answers that end every item at once; false for a refusal a split or a resend may still resolve.</summary>
    private bool Answered(List<DeliveryItem> items, BrazeResponse response, Func<DeliveryItem, IReadOnlyList<BrazePartialError>> errorsOf)
    {
        switch (response.Kind)
        {
            case BrazeOutcomeKind.Success:
                foreach (var item in items)
                {
                    var own = errorsOf(item);
                    var refusedAll = item.Shape.Kind != MergeKind.Recipients && own.Count > 0
                        && own.Select(e => (e.InputArray, e.Index)).Distinct().Count() >= item.Shape.Objects;
                    item.Finish(new DeliveryReport.Accepted(response, own, refusedAll));
                }

                return true;

            case BrazeOutcomeKind.RateLimited:
                var wait = pacer.ClosedFor(PaceKey.For(items[0].Workspace.Name, items[0].Endpoint));
                items.ForEach(i => i.Finish(new DeliveryReport.RateLimited(wait > TimeSpan.Zero ? wait : pacing.Value.RateLimitFallbackWait, response)));
                return true;

            case BrazeOutcomeKind.Transient:
                items.ForEach(i => i.Finish(new DeliveryReport.Failed(response, response.IsAmbiguous)));
                return true;
        }

        if (response.StatusCode is 401 or 403)
        {
            // The key (or its permission) was refused: every message waits for the credential pause, none is its fault.
            var paused = pacer.CredentialPausedFor(items[0].Workspace.Name, items[0].Endpoint);
            items.ForEach(i => i.Finish(new DeliveryReport.CredentialPaused(paused > TimeSpan.Zero ? paused : pacing.Value.CredentialPause, response)));
            return true;
        }

        if (items.Count == 1 || response.StatusCode is not (400 or 413))
        {
            items.ForEach(i => i.Finish(new DeliveryReport.Refused(response, errorsOf(i))));
            return true;
        }

        return false;
    }

    private int Split(List<DeliveryItem> items, Queue<SendGroup> groups, string why)
    {
        var half = items.Count / 2;
        groups.Enqueue(new SendGroup(items.Take(half).ToList(), null, ResentAfterNamedErrors: false));
        groups.Enqueue(new SendGroup(items.Skip(half).ToList(), null, ResentAfterNamedErrors: false));
        var first = items[0];
        metrics.SplitRequest(first.Workspace.Name, first.Endpoint);
        metrics.SplitRequest(first.Workspace.Name, first.Endpoint);
        Log.BatchSplit(logger, first.Workspace.Name, first.Endpoint, items.Count, why);
        return 2;
    }
}
