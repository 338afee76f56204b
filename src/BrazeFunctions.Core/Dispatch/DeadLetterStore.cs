using Azure;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Dispatch;

/// <summary>
/// Which poison messages an operation applies to; every criterion set must match, and none set means every message.
/// <see cref="Id"/> is the envelope id (the id the ingress returned) or the poison queue's message id; <see cref="Reason"/>
/// is the dead letter's reason code (<c>host_poison</c> for a bare host copy, <c>unreadable</c> for a message nobody can
/// read); <see cref="Since"/> compares with when it was dead-lettered (else when it reached the poison queue).
/// </summary>
public sealed record DeadLetterFilter(string? Route = null, int? Status = null, string? Id = null)
{
    public static DeadLetterFilter All { get; } = new();

    public string? Reason { get; init; }

    public DateTimeOffset? Since { get; init; }

    /// <summary>True when no criterion is set.</summary>
    public bool SelectsAll => this == All;

    public bool Matches(DeadLetterItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var entry = item.Entry;
        if (Id is not null && !string.Equals(Id, item.QueueMessageId, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(Id, item.MessageId, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (Route is not null && !string.Equals(Route, entry.Envelope?.Route ?? entry.Reason?.Route, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (Reason is not null && !string.Equals(Reason, item.ReasonCode, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (Since is { } since && !(item.DeadLetteredAt >= since))
        {
            return false;
        }

        return Status is null || entry.Reason?.Status == Status;
    }
}

/// <summary>A poison message as listed: the queue's facts plus what it holds.</summary>
public sealed record DeadLetterItem(string QueueMessageId, DateTimeOffset? InsertedOn, long DequeueCount, PoisonEntry Entry)
{
    /// <summary>A bare copy the Functions host moved after its own dequeue limit, before the sweep rewrote it.</summary>
    public const string HostPoisonCode = DeadLetterCodes.HostPoison;

    /// <summary>The code of a message nobody can read.</summary>
    public const string UnreadableCode = "unreadable";

    /// <summary>The envelope id, when the message says it.</summary>
    public string? MessageId => Entry.Envelope?.Id ?? Entry.Reason?.MessageId;

    /// <summary>The reason code to filter and show: the dead letter's own, <see cref="HostPoisonCode"/> or <see cref="UnreadableCode"/>.</summary>
    public string ReasonCode => Entry.Reason?.Code ?? (Entry.Kind == PoisonKind.HostPoison ? HostPoisonCode : UnreadableCode);

    /// <summary>When it was dead-lettered, else when it reached the poison queue.</summary>
    public DateTimeOffset? DeadLetteredAt => Entry.Reason?.DeadLetteredAt ?? InsertedOn;

    /// <summary>Braze may or may not have applied it (<c>ambiguous_outcome</c>): replaying may apply it twice, purging may leave it unapplied.</summary>
    public bool OutcomeUnknown => ReasonCode == DeadLetterCodes.AmbiguousOutcome;

    /// <summary>The message as stored (decoded from Base64), for showing what nobody can read.</summary>
    public string? Text { get; init; }
}

/// <summary>How far a walk of the poison queue has got: pages read, messages seen, messages selected.</summary>
public sealed record ScanProgress(int Page, int Scanned, int Selected);

/// <summary>How a purge treats what it selected.</summary>
/// <param name="DryRun">List what would be removed; change nothing.</param>
/// <param name="OnlyQueueMessageIds">Remove only these poison messages (the ones an operator confirmed), even if more match now.</param>
public sealed record PurgeOptions(bool DryRun = false, IReadOnlySet<string>? OnlyQueueMessageIds = null);

/// <summary>The result of a purge: what was removed (or, in a dry run, would be), what could not be, and why storage stopped it.</summary>
public sealed record PurgeResult(IReadOnlyList<DeadLetterItem> Purged, IReadOnlyList<SkippedMessage> Failed, int Scanned, bool DryRun, string? StorageProblem = null);

/// <summary>
/// A dead letter that went back on the outbox (or, in a dry run, would have); <c>OverrideClaim</c> when its outcome was
/// ambiguous and the operator chose to resend it.
/// </summary>
public sealed record ReplayedMessage(string MessageId, string Route, string QueueMessageId, bool OverrideClaim);

/// <summary>A selected poison message that was not replayed, and why.</summary>
public sealed record SkippedMessage(string QueueMessageId, string? MessageId, string Problem);

/// <summary>How far a replay has got, reported after each page.</summary>
public sealed record ReplayProgress(int Page, int Scanned, int Replayed, int Skipped);

/// <summary>
/// The result of a replay: what went back on the outbox, what was left and why, and whether storage stopped it part way
/// (what was replayed before that stays replayed).
/// </summary>
public sealed record ReplayResult(IReadOnlyList<ReplayedMessage> Replayed, IReadOnlyList<SkippedMessage> Skipped, int Scanned, bool DryRun, string? StorageProblem = null);

/// <summary>
/// The poison queue (<c>braze-outbox-poison</c>), which holds the dead letters, as an operator sees it: list, find, replay
/// and purge. A message nobody can read is reported, never fatal.
/// </summary>
public interface IDeadLetterStore
{
    /// <summary>
    /// The poison messages <paramref name="filter"/> selects. A queue of 32 messages or fewer is peeked (nothing is hidden);
    /// a longer one is walked page by page, each page hidden for at most <see cref="DeadLetterStore.ListPageVisibility"/>
    /// and released when the walk ends.
    /// </summary>
    Task<IReadOnlyList<DeadLetterItem>> ListAsync(DeadLetterFilter filter, IProgress<ScanProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Puts the selected dead letters back on the outbox (see <see cref="DeadLetterReplayRules"/>) and records each replay for <c>trace</c>.</summary>
    Task<ReplayResult> ReplayAsync(DeadLetterFilter filter, ReplayOptions options, IProgress<ReplayProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Removes the selected poison messages for good (unreadable ones and <c>invalid_envelope</c> included) and records each purge for <c>trace</c>.</summary>
    Task<PurgeResult> PurgeAsync(DeadLetterFilter filter, PurgeOptions options, IProgress<ScanProgress>? progress, CancellationToken cancellationToken);
}

/// <summary>
/// <see cref="IDeadLetterStore"/> on the relay's queues. Replay and purge walk the queue page by page
/// (<see cref="QueueScan"/>): a message they end is re-enqueued or deleted within its page, so no lease outlives its
/// page; messages they leave are held until the walk ends, then made visible again.
/// </summary>
internal sealed class DeadLetterStore : IDeadLetterStore
{
    /// <summary>The longest a listing hides a poison message from other readers (when the queue holds more than a page).</summary>
    public static readonly TimeSpan ListPageVisibility = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan PageVisibility = TimeSpan.FromMinutes(2);
    private const int MaxScan = 100_000;

    private readonly RelayQueues _queues;
    private readonly IOptions<OutboxOptions> _outbox;
    private readonly RouteWorkspaces _workspaces;
    private readonly TraceStore _trace;
    private readonly ReplayHorizon? _horizon;
    private readonly TimeProvider _time;
    private readonly ILogger<DeadLetterStore> _logger;

    public DeadLetterStore(
        RelayQueues queues, IOptions<OutboxOptions> outbox, RouteWorkspaces workspaces, TraceStore trace, IdempotencyStore records,
        IOptions<DeliveryRetryOptions> retry, TimeProvider time, ILogger<DeadLetterStore> logger)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(retry);
        _queues = queues;
        _outbox = outbox;
        _workspaces = workspaces;
        _trace = trace;
        // Without records (idempotency off) there is nothing a replay could outlive.
        _horizon = records.Enabled ? new ReplayHorizon(records.RecordsDroppedAfter, retry.Value.MaxMessageAge) : null;
        _time = time;
        _logger = logger;
    }

    public Task<IReadOnlyList<DeadLetterItem>> ListAsync(DeadLetterFilter filter, CancellationToken cancellationToken) => ListAsync(filter, null, cancellationToken);

    public async Task<IReadOnlyList<DeadLetterItem>> ListAsync(DeadLetterFilter filter, IProgress<ScanProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var poison = _queues.Poison;
        var properties = await poison.GetPropertiesIfExistsAsync(cancellationToken).ConfigureAwait(false);
        if (properties is null)
        {
            return [];
        }

        if (properties.ApproximateMessagesCount <= QueueScan.PageSize)
        {
            var peeked = await poison.PeekAsync(QueueScan.PageSize, cancellationToken).ConfigureAwait(false);
            if (peeked.Count < QueueScan.PageSize)
            {
                List<DeadLetterItem> selected = [.. peeked.Select(Item).Where(filter.Matches)];
                progress?.Report(new ScanProgress(1, peeked.Count, selected.Count));
                return selected;
            }
        }

        var items = new List<DeadLetterItem>();
        await QueueScan.RunAsync(poison, ListPageVisibility, MaxScan, (message, _) =>
        {
            if (Item(message) is var item && filter.Matches(item))
            {
                items.Add(item);
            }

            return Task.FromResult(false);
        }, (page, seen) =>
        {
            progress?.Report(new ScanProgress(page, seen, items.Count));
            return Task.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        return items;
    }

    public async Task<ReplayResult> ReplayAsync(DeadLetterFilter filter, ReplayOptions options, IProgress<ReplayProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(options);
        Log.ReplayStarted(_logger, _queues.Poison.Name, filter.Route, filter.Status, filter.Id, options.DryRun, options.IncludeAmbiguous, options.Force);
        var replayed = new List<ReplayedMessage>();
        var skipped = new List<SkippedMessage>();
        var scanned = 0;
        string? storageProblem = null;
        try
        {
            scanned = await QueueScan.RunAsync(_queues.Poison, PageVisibility, MaxScan,
                async (message, ct) => await ReplayOneAsync(message, filter, options, replayed, skipped, ct).ConfigureAwait(false),
                (page, seen) =>
                {
                    scanned = seen;
                    Log.ReplayPage(_logger, page, seen, replayed.Count, skipped.Count);
                    progress?.Report(new ReplayProgress(page, seen, replayed.Count, skipped.Count));
                    return Task.CompletedTask;
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (StorageFailure.Is(ex) && !cancellationToken.IsCancellationRequested)
        {
            storageProblem = $"the poison queue '{_queues.Poison.Name}' {StorageFailure.Describe(ex)}";
        }

        Log.ReplayFinished(_logger, _queues.Poison.Name, scanned, replayed.Count, skipped.Count, options.DryRun);
        if (!options.DryRun)
        {
            var now = _time.GetUtcNow();
            await RecordAsync(replayed.Select(r => new TraceRecord(r.MessageId, TraceEvent.Replayed, now) { Route = r.Route })).ConfigureAwait(false);
        }

        return new ReplayResult(replayed, skipped, scanned, options.DryRun, storageProblem);
    }

    public async Task<PurgeResult> PurgeAsync(DeadLetterFilter filter, PurgeOptions options, IProgress<ScanProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(options);
        Log.PurgeStarted(_logger, _queues.Poison.Name, filter.Route, filter.Status, filter.Reason, filter.Id, options.DryRun);
        if (options.DryRun)
        {
            var listed = await ListAsync(filter, progress, cancellationToken).ConfigureAwait(false);
            List<DeadLetterItem> wouldGo = [.. listed.Where(i => options.OnlyQueueMessageIds?.Contains(i.QueueMessageId) != false)];
            Log.PurgeFinished(_logger, _queues.Poison.Name, listed.Count, wouldGo.Count, 0, true);
            return new PurgeResult(wouldGo, [], listed.Count, true);
        }

        var purged = new List<DeadLetterItem>();
        var failed = new List<SkippedMessage>();
        var scanned = 0;
        string? storageProblem = null;
        try
        {
            scanned = await QueueScan.RunAsync(_queues.Poison, PageVisibility, MaxScan,
                async (message, ct) => await PurgeOneAsync(message, filter, options, purged, failed, ct).ConfigureAwait(false),
                (page, seen) =>
                {
                    scanned = seen;
                    progress?.Report(new ScanProgress(page, seen, purged.Count));
                    return Task.CompletedTask;
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (StorageFailure.Is(ex) && !cancellationToken.IsCancellationRequested)
        {
            storageProblem = $"the poison queue '{_queues.Poison.Name}' {StorageFailure.Describe(ex)}";
        }

        Log.PurgeFinished(_logger, _queues.Poison.Name, scanned, purged.Count, failed.Count, false);
        var now = _time.GetUtcNow();
        await RecordAsync(purged.Where(p => p.MessageId is not null)
            .Select(p => new TraceRecord(p.MessageId!, TraceEvent.Purged, now) { Route = p.Entry.Envelope?.Route ?? p.Entry.Reason?.Route, Reason = p.ReasonCode })).ConfigureAwait(false);
        return new PurgeResult(purged, failed, scanned, false, storageProblem);
    }

    private async Task<bool> PurgeOneAsync(
        StoredMessage message, DeadLetterFilter filter, PurgeOptions options, List<DeadLetterItem> purged, List<SkippedMessage> failed, CancellationToken cancellationToken)
    {
        var item = Item(message);
        if (!filter.Matches(item) || options.OnlyQueueMessageIds?.Contains(item.QueueMessageId) == false)
        {
            return false;
        }

        try
        {
            await _queues.Poison.DeleteAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex)
        {
            failed.Add(new SkippedMessage(item.QueueMessageId, item.MessageId, $"could not be removed ({ex.Status} {ex.ErrorCode})"));
            return false;
        }

        Log.DeadLetterPurged(_logger, item.QueueMessageId, item.MessageId ?? "(none)", item.ReasonCode);
        purged.Add(item);
        return true;
    }

    private async Task<bool> ReplayOneAsync(
        StoredMessage message, DeadLetterFilter filter, ReplayOptions options, List<ReplayedMessage> replayed, List<SkippedMessage> skipped, CancellationToken cancellationToken)
    {
        var item = Item(message);
        var entry = item.Entry;
        if (!filter.Matches(item))
        {
            return false;
        }

        var decision = DeadLetterReplayRules.Decide(entry, options, _workspaces.Of, _time.GetUtcNow(), _horizon);
        if (decision.Envelope is not { } envelope)
        {
            Skip(message, entry, decision.Problem!, skipped);
            return false;
        }

        var done = new ReplayedMessage(envelope.Id, envelope.Route, message.MessageId, decision.Ambiguous);
        if (options.DryRun)
        {
            Log.ReplayWouldReplay(_logger, envelope.Id, envelope.Route, message.MessageId);
            replayed.Add(done);
            return false;
        }

        try
        {
            await _queues.Outbox.SendAsync(new BinaryData(EnvelopeCodec.Serialize(envelope)), null, _outbox.Value.MessageTimeToLive, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex)
        {
            Skip(message, entry, $"re-enqueue failed ({ex.Status} {ex.ErrorCode}); left on the poison queue", skipped);
            return false;
        }

        Log.DeadLetterReplayed(_logger, envelope.Id, envelope.Route, message.MessageId);
        if (decision.Ambiguous)
        {
            Log.ReplayedAmbiguous(_logger, envelope.Id, envelope.Route, entry.Reason?.Code ?? "unreadable reason");
        }

        replayed.Add(done);
        // Only now is it safe to remove: the envelope is on the outbox. A failed delete leaves a duplicate, never a loss.
        try
        {
            await _queues.Poison.DeleteAsync(message, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex)
        {
            Log.ReplayDeleteFailed(_logger, message.MessageId, envelope.Id, ex.GetType().Name, ex.Status);
            skipped.Add(new SkippedMessage(message.MessageId, envelope.Id,
                $"replayed, but the dead letter could not be removed ({ex.Status} {ex.ErrorCode}); replaying it again would deliver it twice"));
            return false;
        }
    }

    /// <summary>Best-effort: a replay or purge is done whether or not its trace record could be written.</summary>
    private async Task RecordAsync(IEnumerable<TraceRecord> records)
    {
        if (!_trace.Enabled)
        {
            return;
        }

        List<TraceRecord> list = [.. records];
        try
        {
            await _trace.WriteAsync(list, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (StorageFailure.Is(ex))
        {
            Log.TraceWriteFailed(_logger, "(replay or purge)", list.Count, StorageFailure.Describe(ex));
        }
    }

    private void Skip(StoredMessage message, PoisonEntry entry, string problem, List<SkippedMessage> skipped)
    {
        Log.ReplaySkipped(_logger, message.MessageId, problem);
        skipped.Add(new SkippedMessage(message.MessageId, entry.Envelope?.Id ?? entry.Reason?.MessageId, problem));
    }

    private static DeadLetterItem Item(StoredMessage message)
    {
        var entry = DeadLetterCodec.Parse(message.Body);
        if (!message.WasBase64 && entry.Kind == PoisonKind.Unreadable)
        {
            entry = entry with { Problem = entry.Problem + "; the message is not Base64-encoded, so some other tool wrote it" };
        }

        return new DeadLetterItem(message.MessageId, message.InsertedOn, message.DequeueCount, entry) { Text = System.Text.Encoding.UTF8.GetString(message.Body.Span) };
    }
}
