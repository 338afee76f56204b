using System.Globalization;
using Azure;
using Azure.Storage.Blobs.Models;
using BrazeFunctions.Core.Diagnostics;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Storage;

/// <summary>What the dispatcher found for a message's body blob.</summary>
internal abstract record StoredBody
{
    private StoredBody()
    {
    }

    /// <summary>The webhook body, as the ingress received it.</summary>
    public sealed record Found(string Json) : StoredBody;

    /// <summary>Emptied: the message already ended (delivered, a duplicate or aborted); this copy is a repeat.</summary>
    public sealed record Ended : StoredBody;

    /// <summary>No such blob: removed by hand, or never written.</summary>
    public sealed record Missing : StoredBody;
}

/// <summary>
/// The claim-check: webhook bodies too large for a queue message, one blob per message named by its envelope id. A body
/// is written <c>pending</c> before the enqueue and marked <c>queued</c> after it; once its message has ended it is emptied
/// and marked <c>ended</c>, so a late copy of the message (a redelivery beside a deferral copy) recognises a repeat. A dead
/// letter keeps its body until it is replayed (the replayed message ends it) or purged. The cleanup removes
/// <c>pending</c> blobs older than a day (the enqueue failed: orphans) and <c>ended</c> ones once no copy can come back.
/// </summary>
internal sealed class MessageBodyStore(RelayBlobs blobs, TimeProvider time, ILogger<MessageBodyStore> logger)
{
    internal const string StateKey = "relaystate";
    internal const string SinceKey = "relaysince";
    internal const string Pending = "pending";
    internal const string Queued = "queued";
    internal const string Ended = "ended";

    /// <summary>Writes the body of message <paramref name="blob"/>, marked pending; creates the container when it is missing (Azurite).</summary>
    /// <exception cref="RequestFailedException">Storage failed: the webhook is not accepted.</exception>
    public async Task WriteAsync(string blob, string payloadJson, CancellationToken cancellationToken)
    {
        var options = new BlobUploadOptions { Metadata = Mark(Pending), HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } };
        try
        {
            await blobs.Container.GetBlobClient(blob).UploadAsync(BinaryData.FromString(payloadJson), options, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            await blobs.Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await blobs.Container.GetBlobClient(blob).UploadAsync(BinaryData.FromString(payloadJson), options, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The message is on the outbox: the cleanup must never take its body. A failure is logged (the dispatcher marks it when it reads it).</summary>
    public async Task MarkQueuedAsync(string blob, CancellationToken cancellationToken)
    {
        try
        {
            await blobs.Container.GetBlobClient(blob).SetMetadataAsync(Mark(Queued), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (StorageFailure.Is(ex, cancellationToken))
        {
            Log.BodyMarkFailed(logger, blob, Queued, StorageFailure.Describe(ex));
        }
    }

    /// <summary>Reads a message's body. A body still marked pending is marked queued now: its message exists.</summary>
    /// <exception cref="RequestFailedException">Storage failed: the run fails and the host retries the message.</exception>
    public async Task<StoredBody> ReadAsync(string blob, CancellationToken cancellationToken)
    {
        BlobDownloadResult download;
        try
        {
            download = (await blobs.Container.GetBlobClient(blob).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return new StoredBody.Missing();
        }

        var state = download.Details.Metadata.TryGetValue(StateKey, out var s) ? s : Queued;
        if (state == Ended)
        {
            return new StoredBody.Ended();
        }

        if (state == Pending)
        {
            await MarkQueuedAsync(blob, cancellationToken).ConfigureAwait(false);
        }

        return new StoredBody.Found(download.Content.ToString());
    }

    /// <summary>The message has ended: the body is emptied and marked ended. A failure is logged, never thrown (the message did end).</summary>
    public async Task EndAsync(string blob)
    {
        try
        {
            await blobs.Container.GetBlobClient(blob).UploadAsync(BinaryData.Empty, new BlobUploadOptions { Metadata = Mark(Ended) }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (StorageFailure.Is(ex))
        {
            Log.BodyNotEmptied(logger, blob, StorageFailure.Describe(ex));
        }
    }

    /// <summary>Removes a body whose message was never queued; a failure leaves it to the cleanup.</summary>
    public async Task DeleteAsync(string blob)
    {
        try
        {
            await blobs.Container.GetBlobClient(blob).DeleteIfExistsAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (StorageFailure.Is(ex))
        {
            Log.OrphanBodyLeft(logger, blob, StorageFailure.Describe(ex));
        }
    }

    /// <summary>Removes pending bodies older than <paramref name="orphanAge"/> and ended ones older than <paramref name="endedRetention"/>.</summary>
    public async Task<BodyCleanupResult> CleanUpAsync(TimeSpan orphanAge, TimeSpan endedRetention, CancellationToken cancellationToken)
    {
        var (scanned, orphans, ended) = (0, 0, 0);
        var now = time.GetUtcNow();
        try
        {
            await foreach (var item in blobs.Container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, prefix: null, cancellationToken).ConfigureAwait(false))
            {
                scanned++;
                var state = item.Metadata.TryGetValue(StateKey, out var s) ? s : Queued;
                var age = item.Metadata.TryGetValue(SinceKey, out var since) && DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at)
                    ? now - at
                    : TimeSpan.Zero;
                var expired = (state == Pending && age > orphanAge) || (state == Ended && age > endedRetention);
                // Conditional on the ETag: a body marked queued meanwhile is not taken.
                if (!expired || !await DeleteUnchangedAsync(item, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }

                if (state == Pending)
                {
                    orphans++;
                }
                else
                {
                    ended++;
                }
            }
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            // No big webhook yet: nothing to clean.
        }

        Log.BodiesCleaned(logger, blobs.Container.Name, scanned, orphans, ended);
        return new BodyCleanupResult(scanned, orphans, ended);
    }

    private async Task<bool> DeleteUnchangedAsync(BlobItem item, CancellationToken cancellationToken)
    {
        try
        {
            var conditions = new BlobRequestConditions { IfMatch = item.Properties.ETag };
            return (await blobs.Container.GetBlobClient(item.Name).DeleteIfExistsAsync(conditions: conditions, cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return false;
        }
    }

    private Dictionary<string, string> Mark(string state) => new(StringComparer.Ordinal)
    {
        [StateKey] = state,
        [SinceKey] = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
    };
}

/// <summary>What one body cleanup did.</summary>
public sealed record BodyCleanupResult(int Scanned, int Orphans, int Ended);
