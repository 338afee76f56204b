using System.Text.Json;
using BrazeFunctions.Core.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Testing;

namespace BrazeFunctions.Tests.Diagnostics;

public sealed class RelayHealthReportTests
{
    private static readonly IReadOnlyDictionary<string, object> NoData = new Dictionary<string, object>();

    [Fact]
    public async Task DetailsAsync_AllHealthy_Is200WithEveryChecksData()
    {
        var report = Report(new FakeLogger<RelayHealthReport>(),
            Details("queues", HealthCheckResult.Healthy(data: new Dictionary<string, object> { ["depth"] = 3 })),
            Details("ratelimit", HealthCheckResult.Healthy(data: NoData)));

        var reply = await report.DetailsAsync(default);

        Assert.Equal(StatusCodes.Status200OK, reply.StatusCode);
        Assert.Equal("healthy", reply.Body["status"]!.GetValue<string>());
        Assert.Equal(3, reply.Body["checks"]!["queues"]!["data"]!["depth"]!.GetValue<int>());
        Assert.True(reply.Body["checks"]!["ratelimit"]!["healthy"]!.GetValue<bool>());
    }

    [Fact]
    public async Task DetailsAsync_OneUnhealthy_Is503NamingTheCheckAndItsProblem()
    {
        var logger = new FakeLogger<RelayHealthReport>();
        var report = Report(logger,
            Details("queues", HealthCheckResult.Unhealthy("queue 'braze-outbox' answered 403 AuthorizationFailure", data: NoData)),
            Details("ratelimit", HealthCheckResult.Healthy(data: NoData)));

        var reply = await report.DetailsAsync(default);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, reply.StatusCode);
        Assert.Equal("unhealthy", reply.Body["status"]!.GetValue<string>());
        Assert.Equal("queues: queue 'braze-outbox' answered 403 AuthorizationFailure", reply.Body["message"]!.GetValue<string>());
        Assert.False(reply.Body["checks"]!["queues"]!["healthy"]!.GetValue<bool>());
        Assert.Equal(4002, Assert.Single(logger.Collector.GetSnapshot()).Id.Id);
    }

    [Fact]
    public async Task DetailsAsync_CheckThrows_IsUnhealthyNot500AndHidesTheExceptionMessage()
    {
        var report = Report(new FakeLogger<RelayHealthReport>(), Details("broken", new ThrowingCheck(new InvalidOperationException("secret-bearing message"))));

        var reply = await report.DetailsAsync(default);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, reply.StatusCode);
        Assert.Equal("broken: the check failed (InvalidOperationException)", reply.Body["message"]!.GetValue<string>());
        Assert.DoesNotContain("secret-bearing", JsonSerializer.Serialize(reply.Body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DetailsAsync_CheckCancelledByItsTimeLimit_SaysItDidNotAnswer()
    {
        // The health-check service reports a cancellation the caller did not ask for as the check's time limit.
        var report = Report(new FakeLogger<RelayHealthReport>(), Details("slow", new ThrowingCheck(new OperationCanceledException())));

        var reply = await report.DetailsAsync(default);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, reply.StatusCode);
        Assert.Equal("slow: no answer within 5 s", reply.Body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task DetailsAsync_StatusOnlyCheck_IsNotReported()
    {
        var report = Report(new FakeLogger<RelayHealthReport>(),
            Details("queues", HealthCheckResult.Healthy(data: NoData)),
            Status("outbox", HealthCheckResult.Unhealthy("The relay cannot reach its storage.")));

        var reply = await report.DetailsAsync(default);

        Assert.Equal(StatusCodes.Status200OK, reply.StatusCode);
        Assert.Equal(["queues"], reply.Body["checks"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task StatusAsync_StatusCheckHealthy_Is200WithStatusOnlyWhateverTheDetails()
    {
        var report = Report(new FakeLogger<RelayHealthReport>(),
            Status("outbox", HealthCheckResult.Healthy()),
            Details("queues", HealthCheckResult.Unhealthy("queue 'braze-outbox' answered 403 AuthorizationFailure", data: NoData)));

        var reply = await report.StatusAsync(default);

        Assert.Equal(StatusCodes.Status200OK, reply.StatusCode);
        Assert.Equal("{\"status\":\"healthy\"}", JsonSerializer.Serialize(reply.Body));
    }

    [Fact]
    public async Task StatusAsync_StatusCheckUnhealthy_Is503WithoutTheChecksNameOrDescription()
    {
        var report = Report(new FakeLogger<RelayHealthReport>(), Status("outbox", HealthCheckResult.Unhealthy("queue 'braze-outbox' answered 403")));

        var reply = await report.StatusAsync(default);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, reply.StatusCode);
        Assert.Equal("unhealthy", reply.Body["status"]!.GetValue<string>());
        var text = JsonSerializer.Serialize(reply.Body);
        Assert.DoesNotContain("outbox", text, StringComparison.Ordinal);
        Assert.DoesNotContain("403", text, StringComparison.Ordinal);
    }

    private static (string Name, string Tag, IHealthCheck Check) Details(string name, HealthCheckResult result) => (name, RelayHealthChecks.DetailsTag, new FixedCheck(result));

    private static (string Name, string Tag, IHealthCheck Check) Details(string name, IHealthCheck check) => (name, RelayHealthChecks.DetailsTag, check);

    private static (string Name, string Tag, IHealthCheck Check) Status(string name, HealthCheckResult result) => (name, RelayHealthChecks.StatusTag, new FixedCheck(result));

    /// <summary>The report over the framework's own <see cref="HealthCheckService"/>, with <paramref name="checks"/> registered as the relay registers its own.</summary>
    private static RelayHealthReport Report(FakeLogger<RelayHealthReport> logger, params (string Name, string Tag, IHealthCheck Check)[] checks)
    {
        var services = new ServiceCollection().AddLogging();
        var builder = services.AddHealthChecks();
        foreach (var (name, tag, check) in checks)
        {
            builder.AddCheck(name, check, HealthStatus.Unhealthy, [tag], RelayHealthChecks.Timeout);
        }

        return new RelayHealthReport(services.BuildServiceProvider().GetRequiredService<HealthCheckService>(), logger);
    }

    private sealed class FixedCheck(HealthCheckResult result) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) => Task.FromResult(result);
    }

    private sealed class ThrowingCheck(Exception exception) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) => throw exception;
    }
}
