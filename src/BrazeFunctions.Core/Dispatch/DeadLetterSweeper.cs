using System.Text;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Dispatch;

/// <summary>What one sweep did.</summary>
public sealed record SweepResult(int Scanned, int Rewritten, int Failed);

/// <summary>
/// Makes sure every message on the poison queue has a reason and never expires. After <c>maxDequeueCount</c> failed runs
/// (a process kill, an out-of-memory, storage failing while a message was being ended) the Functions host moves the bare
/// envelope there itself, with storage's default 7-day time-to-live. The sweep rewrites each such copy as a never-expiring
/// dead letter with reason <c>host_poison</c>, and anything unreadable as an <c>invalid_envelope</c> dead letter keeping the
/// raw text; the original is deleted only after the rewrite is stored. A rewrite that would not fit a queue message keeps
/// the original bytes, re-sent without expiry.
/// </summary>
public sealed class DeadLetterSweeper(RelayQueues queues, RouteWorkspaces workspaces, TimeProvider time, RelayMetrics metrics, ILogger<DeadLetterSweeper> logger)
{
    private const string Unknown = "(unknown)";
    private static readonly TimeSpan PageVisibility = TimeSpan.FromMinutes(2);
    private const int MaxScan = 20_000;

    public async Task<SweepResult> SweepAsync(CancellationToken cancellationToken)
    {
        var rewritten = 0;
        var failed = 0;
        var scanned = 0;
        try
        {
            scanned = await QueueScan.RunAsync(queues.Poison, PageVisibility, MaxScan, async (message, ct) =>
            {
                if (Plan(message) is not { } rewrite)
                {
                    return false;
                }

                try
                {
                    await queues.Poison.SendAsync(new BinaryData(rewrite.Bytes), null, OutboxOptions.NeverExpires, ct).ConfigureAwait(false);
                }
                catch (Azure.RequestFailedException)
                {
                    failed++;
                    return false;
                }

                rewritten++;
                Report(message, rewrite);
                try
                {
                    await queues.Poison.DeleteAsync(message, ct).ConfigureAwait(false);
                    return true;
                }
                catch (Azure.RequestFailedException ex)
                {
                    Log.PoisonOriginalNotDeleted(logger, message.MessageId, ex.GetType().Name, ex.Status);
                    return false;
                }
            }, null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (StorageFailure.Is(ex) && !cancellationToken.IsCancellationRequested)
        {
            Log.PoisonSweepFailed(logger, queues.Poison.Name, ex.GetType().Name, StorageFailure.Status(ex), StorageFailure.ErrorCode(ex));
        }

        Log.PoisonSwept(logger, queues.Poison.Name, scanned, rewritten, failed);
        return new SweepResult(scanned, rewritten, failed);
    }

    /// <summary>What to store instead of <paramref name="message"/>, or null to leave it as it is.</summary>
    internal Rewrite? Plan(StoredMessage message)
    {
        var entry = DeadLetterCodec.Parse(message.Body);
        switch (entry.Kind)
        {
            case PoisonKind.DeadLetter:
                // The relay writes dead letters without expiry; one that expires anyway is kept byte for byte, without it.
                return message.NeverExpires ? null : new Rewrite(message.Body.ToArray(), entry.Reason?.Code ?? DeadLetterCodes.InvalidEnvelope, entry.Reason?.MessageId ?? Unknown, entry.Reason?.Route ?? Unknown, Bare: false, NewDeadLetter: false);

            case PoisonKind.HostPoison when message.NeverExpires:
                // Only the dispatcher writes a bare envelope without expiry: a dead letter too large for its reason (event 3012).
                return null;

            case PoisonKind.HostPoison:
                var envelope = entry.Envelope!;
                var reason = new DeadLetterReason(DeadLetterCodes.HostPoison, null, null,
                    "the Functions host moved this message to the poison queue after its runs failed maxDequeueCount times (a process kill, an out-of-memory or storage failing while the message was being ended); Braze may or may not have received it",
                    null, envelope.Route, envelope.Id, envelope.Attempt, envelope.ReceivedAt, time.GetUtcNow(), envelope.CorrelationId)
                {
                    Workspace = WorkspaceOf(envelope.Route),
                };
                return Fit(message, DeadLetterCodec.Serialize(reason, envelope, null), reason);

            default:
                var problem = entry.Problem + (message.WasBase64 ? string.Empty : "; the message is not Base64-encoded, so some other tool wrote it");
                var invalid = new DeadLetterReason(DeadLetterCodes.InvalidEnvelope, null, null, problem, null, Unknown, Unknown, 0, null, time.GetUtcNow(), null);
                return Fit(message, DeadLetterCodec.Serialize(invalid, null, Encoding.UTF8.GetString(message.Body.Span)), invalid);
        }
    }

    private Rewrite? Fit(StoredMessage message, byte[] deadLetter, DeadLetterReason reason)
    {
        if (deadLetter.Length <= QueueMessageLimits.MaxBytesBeforeBase64)
        {
            return new Rewrite(deadLetter, reason.Code, reason.MessageId, reason.Route, Bare: false, NewDeadLetter: true);
        }

        // Too large with its reason: keep the original bytes, but never let them expire. Event 4011 carries the reason.
        return message.NeverExpires ? null : new Rewrite(message.Body.ToArray(), reason.Code, reason.MessageId, reason.Route, Bare: true, NewDeadLetter: true);
    }

    private string? WorkspaceOf(string route)
    {
        try
        {
            return workspaces.Of(route);
        }
        catch (Templates.TemplateCatalogException)
        {
            return null;
        }
    }

    private void Report(StoredMessage message, Rewrite rewrite)
    {
        if (rewrite.Bare)
        {
            Log.PoisonKeptBare(logger, message.MessageId, rewrite.ReasonCode);
        }
        else
        {
            Log.PoisonRewritten(logger, message.MessageId, rewrite.MessageId, rewrite.Route, rewrite.ReasonCode, message.DequeueCount);
        }

        if (rewrite.NewDeadLetter)
        {
            metrics.DeadLettered(rewrite.Route, rewrite.ReasonCode, WorkspaceOf(rewrite.Route));
        }
    }

    internal sealed record Rewrite(byte[] Bytes, string ReasonCode, string MessageId, string Route, bool Bare, bool NewDeadLetter);
}
