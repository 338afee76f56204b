using System.Diagnostics.Metrics;
using Azure.Storage.Queues;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.IntegrationTests.Idempotency;

/// <summary>The ingress's Idempotency-Key records (pending, queued) against Azurite, through the function class.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class IngressIdempotencyTests(AzuriteFixture azurite)
{
    private const string Route = "counter-increment";
    private const string Body = "{\"user_id\":\"u-1\",\"dispatch_id\":\"d-1\"}";

    [Fact]
    public async Task Post_SameKeyTwice_QueuesOneMessageAndReplaysTheOriginalId()
    {
        var queue = NewQueueName();
        await using var host = await StartAsync(queue);

        var first = await PostAsync(host, "dispatch-1:u-1");
        var second = await PostAsync(host, "dispatch-1:u-1");

        Assert.Equal(StatusCodes.Status202Accepted, first.Status);
        Assert.Equal(StatusCodes.Status202Accepted, second.Status);
        Assert.Equal(first.Id, second.Id);
        Assert.False(first.Replayed);
        Assert.True(second.Replayed);
        Assert.Equal(1, await CountAsync(queue));
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 5001);
    }

    [Fact]
    public async Task Post_SameKeyOverlapping_QueuesOneMessageAndTheLateOnesGetTheIdOr503()
    {
        var queue = NewQueueName();
        await using var host = await StartAsync(queue);

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => PostAsync(host, "dispatch-2:u-1")));
        var retry = await PostAsync(host, "dispatch-2:u-1");

        Assert.Equal(1, await CountAsync(queue));
        var original = Assert.Single(answers, a => a.Status == StatusCodes.Status202Accepted && !a.Replayed);
        Assert.All(answers.Where(a => a != original), a => Assert.True(
            (a.Status == StatusCodes.Status202Accepted && a.Replayed && a.Id == original.Id) || (a.Status == StatusCodes.Status503ServiceUnavailable && a.RetryAfter is > 0),
            $"{a.Status} replayed {a.Replayed}"));
        // Braze retries a 503: by then the original is queued and the retry gets its id.
        Assert.Equal((StatusCodes.Status202Accepted, true, original.Id), (retry.Status, retry.Replayed, retry.Id));
    }

    [Fact]
    public async Task Post_DifferentKeys_AreQueuedEach()
    {
        var queue = NewQueueName();
        await using var host = await StartAsync(queue);

        await PostAsync(host, "dispatch-3:u-1");
        await PostAsync(host, "dispatch-3:u-2");
        await PostAsync(host, null);

        Assert.Equal(3, await CountAsync(queue));
    }

    [Fact]
    public async Task Post_QueueDown_RemovesThePendingRecordSoThatBrazesRetryIsQueued()
    {
        var queue = NewQueueName();
        var prefix = "dedupe" + Guid.NewGuid().ToString("N")[..12];
        var queueDown = azurite.ConnectionString.Replace($"QueueEndpoint=http://127.0.0.1:{azurite.QueuePort}/", $"QueueEndpoint=http://127.0.0.1:{FreePort.Next()}/", StringComparison.Ordinal);
        await using (var broken = await StartAsync(queue, prefix, connectionString: queueDown))
        {
            var refused = await PostAsync(broken, "dispatch-4:u-1");
            Assert.Equal(StatusCodes.Status503ServiceUnavailable, refused.Status);
        }

        await using var healthy = await StartAsync(queue, prefix);
        var retried = await PostAsync(healthy, "dispatch-4:u-1");

        Assert.Equal((StatusCodes.Status202Accepted, false), (retried.Status, retried.Replayed));
        Assert.Equal(1, await CountAsync(queue));
    }

    [Fact]
    public async Task Post_PendingRecordOlderThanTheTimeout_IsTakenOverAndQueued()
    {
        var queue = NewQueueName();
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var host = await StartAsync(queue, time: clock);
        // A run inserted its pending record and died before queueing.
        await host.Get<IdempotencyStore>().InsertAsync(RecordKind.Webhook, Route, "dispatch-5:u-1", clock.GetUtcNow(), "dead-run", "dead-run", RecordState.Pending, default);

        clock.Advance(TimeSpan.FromSeconds(30));
        var young = await PostAsync(host, "dispatch-5:u-1");
        clock.Advance(TimeSpan.FromMinutes(3));
        var old = await PostAsync(host, "dispatch-5:u-1");

        // Retry-After is what is left of the 2-minute pending timeout when the repeat arrives: 120 s - 30 s.
        Assert.Equal((StatusCodes.Status503ServiceUnavailable, 90), (young.Status, young.RetryAfter));
        Assert.Equal((StatusCodes.Status202Accepted, false), (old.Status, old.Replayed));
        Assert.Equal(1, await CountAsync(queue));
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 5008);
    }

    [Fact]
    public async Task Post_KeyInProgressThenQueueDown_TagsEach503WithItsErrorCode()
    {
        var queue = NewQueueName();
        var prefix = "dedupe" + Guid.NewGuid().ToString("N")[..12];
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var queueDown = azurite.ConnectionString.Replace($"QueueEndpoint=http://127.0.0.1:{azurite.QueuePort}/", $"QueueEndpoint=http://127.0.0.1:{FreePort.Next()}/", StringComparison.Ordinal);
        await using var host = await StartAsync(queue, prefix, connectionString: queueDown, time: clock);
        using var rejected = new MetricCollector<long>(host.Get<IMeterFactory>(), RelayMetrics.MeterName, "relay.webhooks.rejected");
        // Another run holds a fresh pending record for this key: the ingress asks Braze to retry later.
        await host.Get<IdempotencyStore>().InsertAsync(RecordKind.Webhook, Route, "dispatch-7:u-1", clock.GetUtcNow(), "other-run", "other-run", RecordState.Pending, default);

        var inProgress = await PostAsync(host, "dispatch-7:u-1");
        var storageDown = await PostAsync(host, "dispatch-7:u-2");

        Assert.Equal((StatusCodes.Status503ServiceUnavailable, StatusCodes.Status503ServiceUnavailable), (inProgress.Status, storageDown.Status));
        var tags = rejected.GetMeasurementSnapshot().Select(m => (Status: m.Tags["status"], Error: m.Tags["error"])).ToList();
        Assert.Equal(
            [((object?)StatusCodes.Status503ServiceUnavailable, (object?)"idempotency_key_in_progress"), (StatusCodes.Status503ServiceUnavailable, "storage_unavailable")],
            tags);
    }

    [Fact]
    public async Task Post_IdempotencyStoreDown_StillQueuesTheWebhook()
    {
        var queue = NewQueueName();
        await using var host = await StartAsync(queue, connectionString: azurite.ConnectionStringWithTablesDown(FreePort.Next()));

        var answer = await PostAsync(host, "dispatch-6:u-1");

        Assert.Equal(StatusCodes.Status202Accepted, answer.Status);
        Assert.Equal(1, await CountAsync(queue));
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 5009);
    }

    private static string NewQueueName() => "ingress-" + Guid.NewGuid().ToString("N")[..12];

    private Task<RelayTestHost> StartAsync(string queue, string? tablePrefix = null, string? connectionString = null, TimeProvider? time = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = connectionString ?? azurite.ConnectionString,
            ["Outbox:QueueName"] = queue,
            ["Outbox:StorageMaxRetries"] = "0",
            ["Outbox:StorageNetworkTimeout"] = "00:00:02",
        };
        if (tablePrefix is not null)
        {
            settings["Idempotency:TablePrefix"] = tablePrefix;
        }

        return RelayTestHost.StartAsync(settings, time is null ? null : services => services.Replace(ServiceDescriptor.Singleton(time)));
    }

    private static async Task<(int Status, string? Id, bool Replayed, int? RetryAfter)> PostAsync(RelayTestHost host, string? key)
    {
        var headers = key is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["Idempotency-Key"] = key };
        var (status, body, response) = await FunctionCall.PostWebhookAsync(host.Get<WebhookIngress>(), Route, Body, headers: headers);
        return (status, body.TryGetProperty("id", out var id) ? id.GetString() : null, response.Headers["Idempotent-Replayed"] == "true",
            int.TryParse(response.Headers.RetryAfter.ToString(), out var seconds) ? seconds : null);
    }

    private async Task<int> CountAsync(string queue) =>
        (await new QueueClient(azurite.ConnectionString, queue).GetPropertiesAsync()).Value.ApproximateMessagesCount;
}
