using System.Text;

namespace BrazeFunctions.Sandbox;

/// <summary>Answers of a slow or hostile network path: headers then silence, or a body without end.</summary>
internal static class SlowAnswers
{
    private const int ChunkBytes = 64 * 1024;

    /// <summary>
    /// Sends the headers (with the full body's <c>Content-Length</c>) and half of the body, then waits until the client
    /// gives up or <paramref name="stopping"/> fires, and aborts the connection: the body never completes.
    /// </summary>
    public static async Task StallAsync(HttpResponse response, string body, CancellationToken stopping)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        response.ContentLength = bytes.Length;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(response.HttpContext.RequestAborted, stopping);
        try
        {
            await response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), stop.Token);
            await response.Body.FlushAsync(stop.Token);
            await Task.Delay(Timeout.InfiniteTimeSpan, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // The client hung up or the sandbox is stopping: either way the answer ends unfinished.
        }
        catch (IOException)
        {
        }

        response.HttpContext.Abort();
    }

    /// <summary>
    /// Streams a JSON object of about <paramref name="bytes"/> bytes in chunks, with no <c>Content-Length</c>. Returns
    /// false when the client stopped reading before the end (the expected outcome for a client with a length limit).
    /// </summary>
    public static async Task<bool> StreamHugeBodyAsync(HttpResponse response, long bytes, CancellationToken stopping)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(response.HttpContext.RequestAborted, stopping);
        var padding = new byte[ChunkBytes];
        Array.Fill(padding, (byte)'x');
        try
        {
            await response.StartAsync(stop.Token);
            await response.BodyWriter.WriteAsync(Encoding.UTF8.GetBytes("{\"message\":\"success\",\"padding\":\""), stop.Token);
            for (long sent = 0; sent < bytes; sent += ChunkBytes)
            {
                // A completed flush or a cancelled request means the client closed the connection; Kestrel drops later writes.
                var flushed = await response.BodyWriter.WriteAsync(padding.AsMemory(0, (int)Math.Min(ChunkBytes, bytes - sent)), stop.Token);
                if (flushed.IsCompleted || flushed.IsCanceled || stop.IsCancellationRequested)
                {
                    response.HttpContext.Abort();
                    return false;
                }
            }

            await response.BodyWriter.WriteAsync("\"}"u8.ToArray(), stop.Token);
            await response.CompleteAsync();
            // Kestrel learns of a client that hung up mid-body only on a later thread-pool turn: give it a moment.
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stop.Token);
            }
            catch (OperationCanceledException)
            {
                // Cancelled early: the client hung up, or the sandbox is stopping; RequestAborted tells which.
            }

            return !response.HttpContext.RequestAborted.IsCancellationRequested;
        }
        catch (Exception exception) when (exception is OperationCanceledException or IOException)
        {
            response.HttpContext.Abort();
            return false;
        }
    }
}
