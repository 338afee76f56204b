using Azure.Storage.Queues;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace BrazeFunctions.IntegrationTests.Functions;

/// <summary><c>GET /api/health</c> (anonymous, status only) and <c>GET /api/health/details</c> (function key) against Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class HealthFunctionTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Now = QueueWatchKit.Now;

    [Fact]
    public async Task Health_QueueNotCreatedYet_Is200StatusOnlyAndCreatesNothing()
    {
        var queue = NewQueueName();
        await using var host = await StartAsync(azurite.ConnectionString, queue);

        var (status, body, _) = await GetAsync(host, details: false);

        Assert.Equal(StatusCodes.Status200OK, status);
        var property = Assert.Single(body.EnumerateObject());
        Assert.Equal(("status", "healthy"), (property.Name, property.Value.GetString()));
        Assert.False((await new QueueClient(azurite.ConnectionString, queue).ExistsAsync()).Value);
        Assert.False((await new QueueClient(azurite.ConnectionString, queue + "-poison").ExistsAsync()).Value);
    }

    [Fact]
    public async Task Health_StorageDown_Is503WithoutQueueNameOrBacklog()
    {
        await using var host = await StartAsync(AzuriteFixture.UnreachableConnectionString(FreePort.Next()), "braze-outbox");

        var (status, body, _) = await GetAsync(host, details: false);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, status);
        Assert.Equal("unhealthy", body.GetProperty("status").GetString());
        Assert.DoesNotContain("braze-outbox", body.ToString(), StringComparison.Ordinal);
        Assert.False(body.TryGetProperty("approximateMessages", out _));
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 4001);
    }

    [Fact]
    public async Task Details_QueuesWithMessages_ReportDepthAndOldestAgeOfEachQueue()
    {
        var queue = NewQueueName();
        await using var host = await StartAsync(azurite.ConnectionString, queue);
        var outbox = Client(queue);
        await outbox.CreateAsync();
        await outbox.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(Envelope(Now.AddMinutes(-10)))));
        await outbox.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(Envelope(Now.AddMinutes(-1)))));
        var poison = Client(queue + "-poison");
        await poison.CreateAsync();
        var old = Envelope(Now.AddHours(-2));
        var reason = new DeadLetterReason("http_400", 400, null, null, "/users/track", old.Route, old.Id, 0, old.ReceivedAt, Now.AddHours(-1), null);
        await poison.SendMessageAsync(new BinaryData(DeadLetterCodec.Serialize(reason, old, null)), null, TimeSpan.FromSeconds(-1));

        var (status, body, _) = await GetAsync(host, details: true);

        Assert.Equal(StatusCodes.Status200OK, status);
        Assert.Equal("healthy", body.GetProperty("status").GetString());
        var data = body.GetProperty("checks").GetProperty("queues").GetProperty("data");
        Assert.Equal(queue, data.GetProperty("outbox").GetProperty("queue").GetString());
        Assert.Equal(2, data.GetProperty("outbox").GetProperty("approximateMessages").GetInt64());
        Assert.Equal(600, data.GetProperty("outbox").GetProperty("oldestAgeSeconds").GetDouble());
        Assert.Equal(1, data.GetProperty("poison").GetProperty("approximateMessages").GetInt64());
        Assert.Equal(7200, data.GetProperty("poison").GetProperty("oldestAgeSeconds").GetDouble());
    }

    [Fact]
    public async Task Details_QueuesMissing_IsHealthySaysSoAndCreatesNothing()
    {
        var queue = NewQueueName();
        await using var host = await StartAsync(azurite.ConnectionString, queue);

        var (status, body, _) = await GetAsync(host, details: true);

        Assert.Equal(StatusCodes.Status200OK, status);
        var outbox = body.GetProperty("checks").GetProperty("queues").GetProperty("data").GetProperty("outbox");
        Assert.False(outbox.GetProperty("exists").GetBoolean());
        Assert.Equal(0, outbox.GetProperty("approximateMessages").GetInt64());
        Assert.False((await Client(queue).ExistsAsync()).Value);
    }

    [Fact]
    public async Task Details_StorageDown_Is503NamingTheQueueThatDidNotAnswer()
    {
        await using var host = await StartAsync(AzuriteFixture.UnreachableConnectionString(FreePort.Next()), "braze-outbox");

        var (status, body, _) = await GetAsync(host, details: true);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, status);
        Assert.Equal("unhealthy", body.GetProperty("status").GetString());
        Assert.StartsWith("queues: queue 'braze-outbox' not reachable", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.False(body.GetProperty("checks").GetProperty("queues").GetProperty("healthy").GetBoolean());
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 4002);
    }

    private static Task<(int Status, System.Text.Json.JsonElement Body, HttpResponse Response)> GetAsync(RelayTestHost host, bool details) =>
        FunctionCall.GetHealthAsync(host.Get<RelayHealthReport>(), details);

    private static string NewQueueName() => "health-" + Guid.NewGuid().ToString("N")[..12];

    private static Task<RelayTestHost> StartAsync(string connectionString, string queue) => QueueWatchKit.StartAsync(connectionString, queue);

    private static WebhookEnvelope Envelope(DateTimeOffset receivedAt) => QueueWatchKit.Envelope(receivedAt);

    private QueueClient Client(string queue) => QueueWatchKit.Client(azurite.ConnectionString, queue);
}
