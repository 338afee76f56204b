using System.Threading.Channels;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Dispatch;

/// <summary>
/// Takes the dispatcher's trace records without ever making it wait: <see cref="Record"/> only adds to a bounded buffer
/// (a full buffer drops the record and counts it). In the background the buffer is written every
/// <see cref="TraceOptions.FlushInterval"/>, so the records of one Braze request, which end together, share one
/// entity-group transaction. Once a day it also drops the tables older than the retention. Shutdown writes what is left.
/// </summary>
internal sealed class TraceRecorder(TraceStore store, IOptions<TraceOptions> options, TimeProvider time, TraceMetrics metrics, ILogger<TraceRecorder> logger)
    : BackgroundService
{
    private const int MaxBuffered = 10_000;
    private const int MaxPerWrite = 2_000;
    private static readonly TimeSpan ShutdownFlushLimit = TimeSpan.FromSeconds(5);

    private readonly Channel<TraceRecord> _buffer = Channel.CreateBounded<TraceRecord>(
        new BoundedChannelOptions(MaxBuffered) { FullMode = BoundedChannelFullMode.Wait });

    private DateTime _cleanedDay;

    /// <summary>Buffers one record; never blocks, never throws. Ids that are not UUIDv7 cannot be traced and are left out.</summary>
    public void Record(TraceRecord record)
    {
        if (!store.Enabled || TraceKeys.Normalize(record?.MessageId) is null)
        {
            return;
        }

        if (!_buffer.Writer.TryWrite(record!))
        {
            metrics.Records("dropped", 1);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _buffer.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                // Let the rest of the request's records arrive: they end within moments of each other.
                await Task.Delay(options.Value.FlushInterval, time, stoppingToken).ConfigureAwait(false);
                await FlushAsync(stoppingToken).ConfigureAwait(false);

                await CleanUpOncePerDayAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: StopAsync writes what is left.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(ShutdownFlushLimit);
        try
        {
            while (_buffer.Reader.TryPeek(out _) && !limit.IsCancellationRequested)
            {
                await FlushAsync(limit.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Out of time: the rest is lost, as a best-effort record may be.
        }
    }

    /// <summary>Writes what is buffered now, <see cref="MaxPerWrite"/> records at a time.</summary>
    internal async Task FlushAsync(CancellationToken cancellationToken)
    {
        var batch = new List<TraceRecord>();
        while (_buffer.Reader.TryRead(out var record))
        {
            batch.Add(record);
            if (batch.Count == MaxPerWrite)
            {
                await WriteAsync(batch, cancellationToken).ConfigureAwait(false);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            await WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WriteAsync(List<TraceRecord> batch, CancellationToken cancellationToken)
    {
        try
        {
            await store.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // WriteAsync absorbs storage failures; anything else is a bug, but never worth a delivery.
            metrics.Records("failed", batch.Count);
            Log.TraceWriteFailed(logger, "(all)", batch.Count, ex.GetType().Name);
        }
    }

    private async Task CleanUpOncePerDayAsync(CancellationToken cancellationToken)
    {
        var today = time.GetUtcNow().UtcDateTime.Date;
        if (_cleanedDay == today)
        {
            return;
        }

        _cleanedDay = today;
        try
        {
            await store.DropExpiredTablesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (StorageFailure.Is(ex, cancellationToken))
        {
            Log.TraceCleanupFailed(logger, StorageFailure.Describe(ex));
        }
    }
}
