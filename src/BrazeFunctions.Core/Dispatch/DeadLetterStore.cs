using Azure;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Dispatch;

/// <summary>Which poison messages an operation applies to; all set criteria must match. No criterion means every message.</summary>
public sealed record DeadLetterFilter(string? Route = null, int? Status = null, string? Id = null)
{
    public static DeadLetterFilter All { get; } = new();

    public bool Matches(PoisonEntry entry, string queueMessageId)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (Id is not null && !string.Equals(Id, queueMessageId, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(Id, entry.Envelope?.Id ?? entry.Reason?.MessageId, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (Route is not null && !string.Equals(Route, entry.Envelope?.Route ?? entry.Reason?.Route, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return Status is null || entry.Reason?.Status == Status;
    }
}

/// <summary>A poison message as listed: the queue's facts plus what it holds.</summary>
public sealed record DeadLetterItem(string QueueMessageId, DateTimeOffset? InsertedOn, long DequeueCount, PoisonEntry Entry);

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
/// Lists and replays the poison queue (<c>braze-outbox-poison</c>), which holds the dead letters. Both walk the queue page
/// by page (<see cref="QueueScan"/>): a replayed message is re-enqueued and then deleted within its page, so no lease
/// outlives its page; messages that are only listed or not selected are made visible again when the walk ends. A message
/// nobody can read is reported, never fatal.
/// </summary>
public sealed class DeadLetterStore
{
    private static readonly TimeSpan PageVisibility = TimeSpan.FromMinutes(2);
    private const int MaxScan = 100_000;

    private readonly RelayQueues _queues;
    private readonly IOptions<OutboxOptions> _outbox;
    private readonly RouteWorkspaces _workspaces;
    private readonly ReplayHorizon? _horizon;
    private readonly TimeProvider _time;
    private readonly ILogger<DeadLetterStore> _logger;

    internal DeadLetterStore(
        RelayQueues queues, IOptions<OutboxOptions> outbox, RouteWorkspaces workspaces, IdempotencyStore records, IOptions<DeliveryRetryOptions> retry, TimeProvider time, ILogger<DeadLetterStore> logger)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(retry);
        _queues = queues;
        _outbox = outbox;
        _workspaces = workspaces;
        // Without records (idempotency off) there is nothing a replay could outlive.
        _horizon = records.Enabled ? new ReplayHorizon(records.RecordsDroppedAfter, retry.Value.MaxMessageAge) : null;
        _time = time;
        _logger = logger;
    }

    public async Task<IReadOnlyList<DeadLetterItem>> ListAsync(DeadLetterFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var items = new List<DeadLetterItem>();
        await QueueScan.RunAsync(_queues.Poison, PageVisibility, MaxScan, (message, _) =>
        {
            var item = new DeadLetterItem(message.MessageId, message.InsertedOn, message.DequeueCount, Read(message));
            if (filter.Matches(item.Entry, item.QueueMessageId))
            {
                items.Add(item);
            }

            return Task.FromResult(false);
        }, null, cancellationToken).ConfigureAwait(false);
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
        return new ReplayResult(replayed, skipped, scanned, options.DryRun, storageProblem);
    }

    private async Task<bool> ReplayOneAsync(
        StoredMessage message, DeadLetterFilter filter, ReplayOptions options, List<ReplayedMessage> replayed, List<SkippedMessage> skipped, CancellationToken cancellationToken)
    {
        var entry = Read(message);
        if (!filter.Matches(entry, message.MessageId))
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

    private void Skip(StoredMessage message, PoisonEntry entry, string problem, List<SkippedMessage> skipped)
    {
        Log.ReplaySkipped(_logger, message.MessageId, problem);
        skipped.Add(new SkippedMessage(message.MessageId, entry.Envelope?.Id ?? entry.Reason?.MessageId, problem));
    }

    private static PoisonEntry Read(StoredMessage message)
    {
        var entry = DeadLetterCodec.Parse(message.Body);
        return message.WasBase64 || entry.Kind != PoisonKind.Unreadable
            ? entry
            : entry with { Problem = entry.Problem + "; the message is not Base64-encoded, so some other tool wrote it" };
    }
}
