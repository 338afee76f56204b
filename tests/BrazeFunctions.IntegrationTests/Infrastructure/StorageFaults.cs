using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// Storage faults injected into the real Azure SDK clients, at the transport (so the SDK's own retries and per-try timeouts
/// run as in production): a request that stalls until the client gives up on it, an answer lost after the request
/// landed, an answer without its ETag, and Table Storage's 1 KiB key rule, which Azurite does not enforce.
/// </summary>
internal static class StorageFaults
{
    /// <summary>
    /// The queue clients the relay builds get <paramref name="policy"/> just before the transport: every client, or those
    /// whose options <paramref name="which"/> picks (their retry settings tell the ingress's clients from the ending writes').
    /// </summary>
    public static void OnQueues(IServiceCollection services, HttpPipelinePolicy policy, Func<Azure.Storage.Queues.QueueClientOptions, bool>? which = null) =>
        services.Replace(ServiceDescriptor.Singleton(sp => new QueueServiceClientFactory(
            sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IOptions<OutboxOptions>>(), o =>
            {
                if (which?.Invoke(o) ?? true)
                {
                    o.AddPolicy(policy, HttpPipelinePosition.BeforeTransport);
                }
            })));

    /// <summary>The relay's table service gets <paramref name="policy"/> just before the transport.</summary>
    public static void OnTables(IServiceCollection services, string connectionString, HttpPipelinePolicy policy)
    {
        var options = new TableClientOptions();
        options.AddPolicy(policy, HttpPipelinePosition.BeforeTransport);
        services.Replace(ServiceDescriptor.Singleton(new RelayTables(new TableServiceClient(connectionString, options))));
    }

    /// <summary>The relay's body container (the claim-check) gets <paramref name="policy"/> just before the transport.</summary>
    public static void OnBlobs(IServiceCollection services, string connectionString, string container, HttpPipelinePolicy policy)
    {
        var options = new Azure.Storage.Blobs.BlobClientOptions();
        options.AddPolicy(policy, HttpPipelinePosition.BeforeTransport);
        services.Replace(ServiceDescriptor.Singleton(new RelayBlobs(new Azure.Storage.Blobs.BlobContainerClient(connectionString, container, options))));
    }

    /// <summary>True for a message sent to a queue whose name starts with <paramref name="queue"/> (not its poison queue).</summary>
    public static bool IsSendTo(HttpMessage message, string queue) =>
        message.Request.Method == RequestMethod.Post && message.Request.Uri.Path.Contains("/" + queue + "/messages", StringComparison.Ordinal);

    /// <summary>True for an entity insert (POST to a table).</summary>
    public static bool IsInsert(HttpMessage message) =>
        message.Request.Method == RequestMethod.Post && !message.Request.Uri.Path.EndsWith("/Tables", StringComparison.Ordinal);
}

/// <summary>Holds the next <paramref name="count"/> matching requests until the client's own per-try timeout cancels them.</summary>
internal sealed class StallPolicy(Func<HttpMessage, bool> match, int count) : HttpPipelinePolicy
{
    private int _left = count;
    private int _stalled;
    private int _cancelledByClient;

    public bool Armed { get; set; } = true;

    /// <summary>Requests held.</summary>
    public int Stalled => Volatile.Read(ref _stalled);

    /// <summary>Held requests the client itself gave up on (its network timeout), not the test.</summary>
    public int CancelledByClient => Volatile.Read(ref _cancelledByClient);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (Armed && match(message) && Interlocked.Decrement(ref _left) >= 0)
        {
            Interlocked.Increment(ref _stalled);
            try
            {
                await Task.Delay(TimeSpan.FromMinutes(2), message.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                Interlocked.Increment(ref _cancelledByClient);
                throw;
            }
        }

        await ProcessNextAsync(message, pipeline);
    }
}

/// <summary>Answers matching requests with a storage error without sending them, while <see cref="Armed"/>.</summary>
internal sealed class FailPolicy(Func<HttpMessage, bool> match, int status = 503) : HttpPipelinePolicy
{
    private int _failed;

    public bool Armed { get; set; } = true;

    public int Failed => Volatile.Read(ref _failed);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (Armed && match(message))
        {
            Interlocked.Increment(ref _failed);
            throw new RequestFailedException(status, "injected: storage refused the request", "ServerBusy", null);
        }

        return ProcessNextAsync(message, pipeline);
    }
}

/// <summary>Lets the next <paramref name="count"/> matching requests reach storage, then loses their answers (the SDK retries).</summary>
internal sealed class LostAnswerPolicy(Func<HttpMessage, bool> match, int count) : HttpPipelinePolicy
{
    private int _left = count;
    private int _lost;

    public int Lost => Volatile.Read(ref _lost);

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await ProcessNextAsync(message, pipeline);
        if (match(message) && Interlocked.Decrement(ref _left) >= 0)
        {
            Interlocked.Increment(ref _lost);
            throw new IOException("injected: the connection dropped after the request was written and before its answer arrived");
        }
    }
}

/// <summary>Removes the ETag header from the successful answers to matching requests (a proxy or an emulator that drops it).</summary>
internal sealed class StripETagPolicy(Func<HttpMessage, bool> match) : HttpPipelinePolicy
{
    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await ProcessNextAsync(message, pipeline);
        if (match(message) && message.Response.Status is >= 200 and < 300)
        {
            message.Response = new ResponseWithoutETag(message.Response);
        }
    }

    private sealed class ResponseWithoutETag(Response inner) : Response
    {
        public override int Status => inner.Status;

        public override string ReasonPhrase => inner.ReasonPhrase;

        public override Stream? ContentStream { get => inner.ContentStream; set => inner.ContentStream = value; }

        public override string ClientRequestId { get => inner.ClientRequestId; set => inner.ClientRequestId = value; }

        public override void Dispose() => inner.Dispose();

        protected override bool ContainsHeader(string name) => !IsETag(name) && inner.Headers.Contains(name);

        protected override IEnumerable<HttpHeader> EnumerateHeaders() => inner.Headers.Where(h => !IsETag(h.Name));

        protected override bool TryGetHeader(string name, out string value)
        {
            value = string.Empty;
            return !IsETag(name) && inner.Headers.TryGetValue(name, out value!);
        }

        protected override bool TryGetHeaderValues(string name, out IEnumerable<string> values)
        {
            values = [];
            return !IsETag(name) && inner.Headers.TryGetValues(name, out values!);
        }

        private static bool IsETag(string name) => string.Equals(name, "ETag", StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>
/// Table Storage's rule that Azurite does not enforce: a PartitionKey or RowKey over 1 KiB is answered 400
/// (<c>KeyValueTooLarge</c>... the relay would read it as "store down"). Applied to entity writes by reading their body.
/// </summary>
internal sealed class TableKeyLimitPolicy : HttpPipelinePolicy
{
    public int Refused { get; private set; }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (message.Request.Content is { } content)
        {
            using var buffer = new MemoryStream();
            await content.WriteToAsync(buffer, message.CancellationToken);
            using var json = System.Text.Json.JsonDocument.Parse(buffer.ToArray());
            foreach (var name in new[] { "PartitionKey", "RowKey" })
            {
                if (json.RootElement.TryGetProperty(name, out var key) && key.GetString() is { } text
                    && (text.Length * 2 > 1024 || System.Text.Encoding.UTF8.GetByteCount(text) > 1024))
                {
                    Refused++;
                    throw new RequestFailedException(400, $"The {name} is over 1 KiB.", "KeyValueTooLarge", null);
                }
            }
        }

        await ProcessNextAsync(message, pipeline);
    }
}
