using System.Text.Json;
using BrazeFunctions.Core.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Testing;

namespace BrazeFunctions.Tests.Diagnostics;

public sealed class RelayHealthReportTests
{
    [Fact]
    public async Task CheckAsync_AllHealthy_Is200WithEveryChecksData()
    {
        var report = new RelayHealthReport([new FixedCheck("queues", new RelayHealthResult(true, null, new Dictionary<string, object?> { ["depth"] = 3 })), new FixedCheck("ratelimit", new RelayHealthResult(true, null, new Dictionary<string, object?>()))], new FakeLogger<RelayHealthReport>());

        var reply = await report.CheckAsync(default);

        Assert.Equal(StatusCodes.Status200OK, reply.StatusCode);
        Assert.Equal("healthy", reply.Body["status"]!.GetValue<string>());
        Assert.Equal(3, reply.Body["checks"]!["queues"]!["data"]!["depth"]!.GetValue<int>());
        Assert.True(reply.Body["checks"]!["ratelimit"]!["healthy"]!.GetValue<bool>());
    }

    [Fact]
    public async Task CheckAsync_OneUnhealthy_Is503NamingTheCheckAndItsProblem()
    {
        var logger = new FakeLogger<RelayHealthReport>();
        var report = new RelayHealthReport([new FixedCheck("queues", new RelayHealthResult(false, "queue 'braze-outbox' answered 403 AuthorizationFailure", new Dictionary<string, object?>())), new FixedCheck("ratelimit", new RelayHealthResult(true, null, new Dictionary<string, object?>()))], logger);

        var reply = await report.CheckAsync(default);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, reply.StatusCode);
        Assert.Equal("unhealthy", reply.Body["status"]!.GetValue<string>());
        Assert.Equal("queues: queue 'braze-outbox' answered 403 AuthorizationFailure", reply.Body["message"]!.GetValue<string>());
        Assert.False(reply.Body["checks"]!["queues"]!["healthy"]!.GetValue<bool>());
        Assert.Equal(4002, Assert.Single(logger.Collector.GetSnapshot()).Id.Id);
    }

    [Fact]
    public async Task CheckAsync_CheckThrows_IsUnhealthyNot500()
    {
        var report = new RelayHealthReport([new ThrowingCheck()], new FakeLogger<RelayHealthReport>());

        var reply = await report.CheckAsync(default);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, reply.StatusCode);
        Assert.Contains("the check failed (InvalidOperationException)", JsonSerializer.Serialize(reply.Body), StringComparison.Ordinal);
    }

    private sealed class FixedCheck(string name, RelayHealthResult result) : IRelayHealthCheck
    {
        public string Name => name;

        public Task<RelayHealthResult> CheckAsync(CancellationToken cancellationToken) => Task.FromResult(result);
    }

    private sealed class ThrowingCheck : IRelayHealthCheck
    {
        public string Name => "broken";

        public Task<RelayHealthResult> CheckAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("bug");
    }
}
