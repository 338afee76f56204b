namespace BrazeFunctions.Core.Storage;

/// <summary>
/// Walks a whole queue page by page (receive up to 32, handle them, receive the next). A handler that ends a message
/// (re-enqueue or rewrite, then delete) does so within its page, so no lease it relies on outlives the page; messages it
/// leaves alone are held invisible until the walk ends, so the next receive reaches new ones, then made visible again.
/// </summary>
internal static class QueueScan
{
    public const int PageSize = 32;

    /// <summary>
    /// Walks <paramref name="queue"/>: <paramref name="handle"/> returns true when it ended a message (deleted it), false to
    /// leave it; <paramref name="afterPage"/> gets the page number and the messages seen so far. Returns the messages seen.
    /// </summary>
    public static async Task<int> RunAsync(
        StorageQueue queue,
        TimeSpan visibility,
        int maxMessages,
        Func<StoredMessage, CancellationToken, Task<bool>> handle,
        Func<int, int, Task>? afterPage,
        CancellationToken cancellationToken)
    {
        var held = new Dictionary<string, StoredMessage>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var page = 0;
        try
        {
            while (seen.Count < maxMessages)
            {
                var messages = await queue.ReceiveAsync(PageSize, visibility, cancellationToken).ConfigureAwait(false);
                var fresh = 0;
                foreach (var message in messages)
                {
                    if (!seen.Add(message.MessageId))
                    {
                        // Its hold ran out during a long walk and it came round again: keep the newest receipt for the release.
                        held[message.MessageId] = message;
                        continue;
                    }

                    fresh++;
                    if (!await handle(message, cancellationToken).ConfigureAwait(false))
                    {
                        held[message.MessageId] = message;
                    }
                }

                if (fresh == 0)
                {
                    break;
                }

                page++;
                if (afterPage is not null)
                {
                    await afterPage(page, seen.Count).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            await ReleaseAsync(queue, held.Values).ConfigureAwait(false);
        }

        return seen.Count;
    }

    private static async Task ReleaseAsync(StorageQueue queue, IEnumerable<StoredMessage> messages)
    {
        foreach (var message in messages)
        {
            try
            {
                // Not the caller's token: a cancelled walk still hands back what it held.
                await queue.ReleaseAsync(message, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Azure.RequestFailedException)
            {
                // This one is gone or its receipt is stale; it becomes visible by itself when its hold ends.
            }
            catch (Exception ex) when (StorageFailure.Is(ex))
            {
                // Storage is not answering: the rest become visible by themselves when their holds end.
                return;
            }
        }
    }
}
