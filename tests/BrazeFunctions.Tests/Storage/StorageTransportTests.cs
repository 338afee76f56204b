using Azure.Core.Pipeline;
using Azure.Storage.Queues;
using BrazeFunctions.Core.Storage;

namespace BrazeFunctions.Tests.Storage;

/// <summary>The storage clients' connection pools: bounded, shared by the relay's clients, and separate for the writes that end a run.</summary>
public sealed class StorageTransportTests
{
    [Fact]
    public void ApplyTransport_SameLimit_SharesOnePool()
    {
        var (first, second) = (new QueueClientOptions(), new QueueClientOptions());

        StorageConnection.ApplyTransport(first, new OutboxOptions { StorageMaxConnections = 17 });
        StorageConnection.ApplyTransport(second, new OutboxOptions { StorageMaxConnections = 17 });

        Assert.Same(first.Transport, second.Transport);
        Assert.NotSame(HttpClientTransport.Shared, first.Transport);
    }

    [Fact]
    public void ApplyTransport_EndingWrites_GetAPoolOfTheirOwn()
    {
        var (ordinary, ending) = (new QueueClientOptions(), new QueueClientOptions());
        var outbox = new OutboxOptions { StorageMaxConnections = 18 };

        StorageConnection.ApplyTransport(ordinary, outbox);
        StorageConnection.ApplyTransport(ending, outbox, endingWrites: true);

        Assert.NotSame(ordinary.Transport, ending.Transport);
    }

    [Fact]
    public void ApplyTransport_NoLimit_KeepsTheSdksTransport()
    {
        var options = new QueueClientOptions();
        var before = options.Transport;

        StorageConnection.ApplyTransport(options, new OutboxOptions { StorageMaxConnections = 0 });

        Assert.Same(before, options.Transport);
    }

    [Fact]
    public void StorageMaxConnections_Default_IsBounded()
    {
        Assert.InRange(new OutboxOptions().StorageMaxConnections, 1, 256);
    }
}
