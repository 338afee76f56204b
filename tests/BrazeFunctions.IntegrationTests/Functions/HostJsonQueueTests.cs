using System.Text.Json.Nodes;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Storage;
using BrazeFunctions.IntegrationTests.Infrastructure;

namespace BrazeFunctions.IntegrationTests.Functions;

/// <summary>The queue trigger's concurrency in host.json, which bounds what the coalescer can merge on one instance.</summary>
public sealed class HostJsonQueueTests
{
    private static readonly JsonObject Host = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "host.json")))!.AsObject();

    private static JsonObject Queues => Host["extensions"]!["queues"]!.AsObject();

    /// <summary>
    /// Why: the host fetches another batch of <c>batchSize</c> messages only once the messages in flight drop to
    /// <c>newBatchThreshold</c>, so at most threshold + batchSize dispatches run at once on an instance. A merged
    /// /users/track request can only hold messages that are in flight together, so the threshold must reach the object cap
    /// or batches never fill when budget is scarce.
    /// </summary>
    [Fact]
    public void Queues_BatchSettings_LetAFullRequestGatherOnOneInstance()
    {
        Assert.Equal(32, Queues["batchSize"]!.GetValue<int>());
        Assert.True(Queues["newBatchThreshold"]!.GetValue<int>() >= new BrazeRequestLimits().MaxUsersTrackObjects,
            "newBatchThreshold must be at least Templates:MaxUsersTrackObjects (75)");
    }

    /// <summary>
    /// Why: dynamic concurrency would lower the number of messages in flight when functions run long, and a function that
    /// waits for rate-limit budget runs long by design: the host would starve the coalescer exactly when batching matters.
    /// </summary>
    [Fact]
    public void Concurrency_Dynamic_IsOff()
    {
        Assert.False(Host["concurrency"]!["dynamicConcurrencyEnabled"]!.GetValue<bool>());
    }

    /// <summary>
    /// Why: the relay must end a crash-looping message itself, with a reason (crash_loop), before the host moves it to
    /// the poison queue bare after maxDequeueCount runs.
    /// </summary>
    [Fact]
    public void Queues_MaxDequeueCount_IsAboveTheDispatchersOwnLimit()
    {
        var hostLimit = Queues["maxDequeueCount"]!.GetValue<int>();
        Assert.Equal(DeliveryRetryOptions.HostMaxDequeueCount, hostLimit);
        Assert.True(new DeliveryRetryOptions().MaxDequeueCount < hostLimit);
    }

    /// <summary>
    /// Why: the relay does its own retries (in place, on its schedule, deferrals), so a run that throws is the exception
    /// path: a deferral or dead-letter write that failed. Such a message should come back within seconds, not hide for 30 s
    /// after a 30 s stall; yet a short storage hiccup must not spend the dequeue count up to the crash-loop limit.
    /// </summary>
    [Fact]
    public void Queues_VisibilityTimeout_BringsAFailedRunBackWithinSecondsWithoutCrashLooping()
    {
        var visibility = TimeSpan.Parse(Queues["visibilityTimeout"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        var outbox = new OutboxOptions();
        var failingWrite = outbox.EndingWriteTimeout * (outbox.EndingWriteRetries + 1);
        var cycle = visibility + failingWrite;

        Assert.True(cycle <= TimeSpan.FromSeconds(15), $"a run whose ending write fails comes back after {cycle}");
        Assert.True(cycle * (new DeliveryRetryOptions().MaxDequeueCount - 1) >= TimeSpan.FromSeconds(30),
            $"{new DeliveryRetryOptions().MaxDequeueCount - 1} failed runs of {cycle} each reach crash_loop within half a minute of a storage hiccup");
    }
}
