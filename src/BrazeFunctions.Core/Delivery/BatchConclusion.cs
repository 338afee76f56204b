using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Pacing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Delivery;

/// <summary>Items sent together in one request; the first group of a batch holds the batch's lease.</summary>
internal sealed record SendGroup(List<DeliveryItem> Items, PaceLease? Lease, bool ResentAfterNamedErrors);

/// <summary>One group's pass through the retry pipeline: the items still going, and the lease not yet used.</summary>
internal sealed class AttemptState(SendGroup group, CancellationToken cancellationToken)
{
    private PaceLease? _lease = group.Lease;

    public SendGroup Group { get; } = group;

    public List<DeliveryItem> Current { get; } = [.. group.Items];

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Braze's last answer to this group, kept for the report when a retry then finds no budget.</summary>
    public BrazeResponse? LastResponse { get; set; }

    public PaceLease? TakeLease() => Interlocked.Exchange(ref _lease, null);
}

/// <summary>The result of one request: Braze's answer, or the pacer's refusal (null both when nothing was left to send).</summary>
internal sealed record RequestAttempt(AttemptState State, BrazeResponse? Response, MergedRequest? Merged, bool RetryInPlace)
{
    /// <summary>The lease the pacer did not grant: how long until the budget can send the group, and why.</summary>
    public PaceLease? Refusal { get; init; }

    /// <summary>After Braze's answer: how long the pacer says the request's budget is closed (429: the bucket; 401/403: the credential).</summary>
    public TimeSpan ClosedFor { get; init; }
}

/// <summary>
/// What the final answer to one group means for each of its items, and which follow-up requests it takes. A refused
/// merged request never dead-letters its good items: Braze's errors that name objects single out their items and the
/// rest is sent once more; without such errors the batch is split in halves within
/// <see cref="CoalescingOptions.MaxSplitRequests"/> extra requests, and what is still unresolved is handed back to be sent
/// alone. "Max Input Length Exceeded" lowers the workspace's object cap. Waits come from the pacer, never from here.
/// </summary>
internal sealed class BatchConclusion(UsersTrackCaps caps, IOptions<CoalescingOptions> coalescing, RelayMetrics metrics, ILogger<BatchConclusion> logger)
{
    private const string MaxInputLengthExceeded = "Max Input Length Exceeded";

    /// <summary>Turns the final answer of one group into reports and follow-up groups; returns the extra requests it queued.</summary>
    public int Conclude(AttemptState state, RequestAttempt attempt, Queue<SendGroup> groups, int extraSoFar)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(attempt);
        var items = state.Current;
        if (items.Count == 0)
        {
            return 0;
        }

        if (attempt.Response is not { } response)
        {
            // The pacer refused: every item waits for the time it says the budget can send it.
            var refusal = attempt.Refusal!;
            DeliveryReport waiting = refusal.Reason == PaceReason.Credential
                ? new DeliveryReport.CredentialPaused(refusal.RetryAfter, state.LastResponse)
                : new DeliveryReport.RateLimited(refusal.RetryAfter, state.LastResponse);
            items.ForEach(i => i.Finish(waiting));
            return 0;
        }

        var errors = attempt.Merged is { } merged
            ? response.PartialErrors.Select(merged.OwnerOf).Where(o => o is not null).Select(o => o!.Value).ToList()
            : [];
        switch (response.Kind)
        {
            case BrazeOutcomeKind.Success:
                Accepted(items, response, errors);
                return 0;
            case BrazeOutcomeKind.RateLimited:
                items.ForEach(i => i.Finish(new DeliveryReport.RateLimited(attempt.ClosedFor, response)));
                return 0;
            case BrazeOutcomeKind.Transient:
                items.ForEach(i => i.Finish(new DeliveryReport.Failed(response, response.IsAmbiguous)));
                return 0;
        }

        if (response.StatusCode is 401 or 403)
        {
            // The key (or its permission) was refused: every message waits for the credential pause, none is its fault.
            items.ForEach(i => i.Finish(new DeliveryReport.CredentialPaused(attempt.ClosedFor, response)));
            return 0;
        }

        return Refused(state, attempt, response, errors, groups, extraSoFar);
    }

    private static void Accepted(List<DeliveryItem> items, BrazeResponse response, List<(DeliveryItem Item, BrazePartialError Error)> errors)
    {
        foreach (var item in items)
        {
            IReadOnlyList<BrazePartialError> own = [.. errors.Where(e => e.Item == item).Select(e => e.Error)];
            var refusedAll = item.Shape.Kind.ListField() is null && own.Count > 0
                && own.Select(e => (e.InputArray, e.Index)).Distinct().Count() >= item.Shape.Objects;
            item.Finish(new DeliveryReport.Accepted(response, own, refusedAll));
        }
    }

    /// <summary>A 4xx for the whole request: single out the items Braze named, split the rest, or hand it back to be sent alone.</summary>
    private int Refused(AttemptState state, RequestAttempt attempt, BrazeResponse response, List<(DeliveryItem Item, BrazePartialError Error)> errors, Queue<SendGroup> groups, int extraSoFar)
    {
        var items = state.Current;
        IReadOnlyList<BrazePartialError> ErrorsOf(DeliveryItem item) => [.. errors.Where(e => e.Item == item).Select(e => e.Error)];
        if (items.Count == 1 || response.StatusCode is not (400 or 413))
        {
            items.ForEach(i => i.Finish(new DeliveryReport.Refused(response, ErrorsOf(i))));
            return 0;
        }

        var first = items[0];
        if (response.StatusCode == 400 && first.Shape.Kind == MergeKind.UsersTrack
            && response.Message?.Contains(MaxInputLengthExceeded, StringComparison.OrdinalIgnoreCase) == true)
        {
            // The cap is wrong for this workspace's contract, not the messages: lower it and send the halves.
            var cap = caps.Halve(first.Workspace.Name, attempt.Merged!.Objects);
            Log.ObjectCapLowered(logger, first.Workspace.Name, attempt.Merged.Objects, cap);
            return Split(items, groups, "max_input_length");
        }

        var named = items.Where(i => errors.Any(e => e.Item == i)).ToList();
        if (named.Count > 0 && named.Count < items.Count && !state.Group.ResentAfterNamedErrors)
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
