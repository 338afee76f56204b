using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Pacing;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.Tests.Pacing;

/// <summary>The pacer on a fake clock, without the shared record (its own tests run against Azurite).</summary>
public sealed class RateLimitPacerTests : IDisposable
{
    private static readonly PaceKey Key = new("default", "users-track");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero));
    private readonly TestMeterFactory _meters = new();

    [Fact]
    public async Task Acquire_BeforeTheFirstHeaders_AllowsOnlyInitialRequestsInFlight()
    {
        var pacer = Create(new PacingOptions { InitialRequests = 1 });
        var probe = await pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default);

        var second = pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default).AsTask();
        Assert.NotNull(probe.Ticket);
        Assert.False(second.IsCompleted);

        await pacer.CompleteAsync(probe.Ticket!, Answer(201, limit: 10, remaining: 9, resetInSeconds: 3), default);

        Assert.NotNull((await second).Ticket);
    }

    [Fact]
    public async Task Acquire_RemainingDownToTheShareThreshold_WaitsForTheNextWindow()
    {
        var pacer = Create(new PacingOptions { RateLimitShare = 0.5 });
        var probe = await pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default);
        // Half of the limit of 10 is for the customer's other integrations: at Remaining 5 the relay stops for this window.
        await pacer.CompleteAsync(probe.Ticket!, Answer(201, limit: 10, remaining: 5, resetInSeconds: 2), default);

        var next = pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default).AsTask();
        Assert.False(next.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(next.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.NotNull((await next).Ticket);
    }

    [Fact]
    public async Task Acquire_RequestsInFlight_CountAgainstWhatRemains()
    {
        var pacer = Create(new PacingOptions { InitialRequests = 1 });
        var probe = await pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default);
        await pacer.CompleteAsync(probe.Ticket!, Answer(201, limit: 10, remaining: 2, resetInSeconds: 3), default);

        var first = await pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default);
        var second = await pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default);
        var third = pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default).AsTask();

        Assert.NotNull(first.Ticket);
        Assert.NotNull(second.Ticket);
        Assert.False(third.IsCompleted);
        pacer.Abandon(second.Ticket!);
        Assert.NotNull((await third).Ticket);
    }

    [Fact]
    public async Task Acquire_After429LongerThanTheCallerMayWait_ReturnsTheHoldAtOnce()
    {
        var pacer = Create(new PacingOptions { RateLimitJitter = TimeSpan.Zero });
        var probe = await pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default);
        await pacer.CompleteAsync(probe.Ticket!, Answer(429, limit: 10, remaining: 0, resetInSeconds: 30), default);

        var decision = await pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default);

        Assert.Null(decision.Ticket);
        Assert.Equal(TimeSpan.FromSeconds(30), decision.Hold);
        Assert.Equal(TimeSpan.FromSeconds(30), pacer.ClosedFor(Key));
        Assert.Equal(TimeSpan.Zero, pacer.ClosedFor(new PaceKey("default", "rest-shared")));
    }

    [Fact]
    public async Task Acquire_After429WithinTheWait_SendsAfterTheResetAndCountsTheWait()
    {
        var pacer = Create(new PacingOptions { RateLimitJitter = TimeSpan.Zero });
        using var waits = new MetricCollector<long>(_meters, RelayMetrics.MeterName, "relay.pacing.waits");
        var probe = await pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default);
        await pacer.CompleteAsync(probe.Ticket!, Answer(429, limit: 10, remaining: 0, resetInSeconds: 2), default);

        var next = pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default).AsTask();
        _time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(next.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.NotNull((await next).Ticket);
        var wait = Assert.Single(waits.GetMeasurementSnapshot());
        Assert.Equal("waited", wait.Tags["outcome"]);
    }

    [Fact]
    public async Task Acquire_WindowLengthLearned_NextWindowNeedsNoProbeAndItsBudgetIsSpreadOverIt()
    {
        var pacer = Create(new PacingOptions { InitialRequests = 1 });
        var first = await pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default);
        await pacer.CompleteAsync(first.Ticket!, Answer(201, limit: 10, remaining: 9, resetInSeconds: 3), default);
        _time.Advance(TimeSpan.FromSeconds(3));
        var second = await pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default);
        await pacer.CompleteAsync(second.Ticket!, Answer(201, limit: 10, remaining: 9, resetInSeconds: 3), default);

        // Two consecutive resets 3 s apart: when the next window starts the pacer knows it without a probe, and releases
        // its 10 requests evenly, one every 0.3 s, instead of all at once.
        _time.Advance(TimeSpan.FromSeconds(3));
        var a = await pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default);
        var b = pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default).AsTask();
        Assert.NotNull(a.Ticket);
        Assert.False(b.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(300));

        Assert.NotNull((await b).Ticket);
    }

    [Fact]
    public async Task IsStale_TicketOfAKnownWindow_OnceThatWindowMayHaveEnded()
    {
        var pacer = Create(new PacingOptions { InitialRequests = 1 });
        var probe = await pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default);
        // A probe is granted before any window is known: it cannot go stale.
        Assert.False(pacer.IsStale(probe.Ticket!));
        await pacer.CompleteAsync(probe.Ticket!, Answer(201, limit: 10, remaining: 9, resetInSeconds: 3), default);

        var ticket = (await pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default)).Ticket!;
        _time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.False(pacer.IsStale(ticket));
        // The answer's Date and arrival were the same instant, so the window ends no earlier than 2 s from the grant
        // (reset 3 s away, less the second Date's whole seconds may hide) and no later than 3 s.
        _time.Advance(TimeSpan.FromSeconds(1.5));

        Assert.True(pacer.IsStale(ticket));
    }

    [Fact]
    public async Task Acquire_After401_PausesTheWorkspaceThenLetsOneProbeGoFirst()
    {
        var pacer = Create(new PacingOptions { CredentialPause = TimeSpan.FromMinutes(5), MaxCredentialPause = TimeSpan.FromMinutes(15) });
        var first = await pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default);
        await pacer.CompleteAsync(first.Ticket!, Answer(401, limit: 10, remaining: 9, resetInSeconds: 3), default);

        var held = await pacer.AcquireAsync(new PaceKey("default", "rest-shared"), "/canvas/trigger/send", TimeSpan.FromSeconds(5), default);
        Assert.Null(held.Ticket);
        Assert.Equal("credential", held.HoldReason);
        Assert.Equal(TimeSpan.FromMinutes(5), held.Hold);

        _time.Advance(TimeSpan.FromMinutes(5));
        var probe = await pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default);
        var behindTheProbe = pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default).AsTask();
        Assert.NotNull(probe.Ticket);
        Assert.False(behindTheProbe.IsCompleted);

        // Refused again: the pause doubles, and the request behind the probe learns it when it looks again.
        await pacer.CompleteAsync(probe.Ticket!, Answer(401, limit: 10, remaining: 8, resetInSeconds: 3), default);
        _time.Advance(TimeSpan.FromMilliseconds(250));
        var doubled = await behindTheProbe;
        Assert.Null(doubled.Ticket);
        Assert.Equal(TimeSpan.FromMinutes(10) - TimeSpan.FromMilliseconds(250), doubled.Hold);

        _time.Advance(TimeSpan.FromMinutes(10));
        var second = await pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default);
        await pacer.CompleteAsync(second.Ticket!, Answer(201, limit: 10, remaining: 7, resetInSeconds: 3), default);

        // Accepted: the whole workspace is released (another family shows it, with nothing else holding it).
        Assert.NotNull((await pacer.AcquireAsync(new PaceKey("default", "rest-shared"), "/canvas/trigger/send", TimeSpan.FromSeconds(5), default)).Ticket);
    }

    [Fact]
    public async Task Acquire_After403_PausesOnlyThatEndpoint()
    {
        var pacer = Create(new PacingOptions());
        var first = await pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default);
        await pacer.CompleteAsync(first.Ticket!, Answer(403, limit: 10, remaining: 9, resetInSeconds: 3), default);

        var sameEndpoint = await pacer.AcquireAsync(Key, "/users/track", TimeSpan.FromSeconds(5), default);
        var otherEndpoint = await pacer.AcquireAsync(new PaceKey("default", "rest-shared"), "/canvas/trigger/send", TimeSpan.FromSeconds(5), default);

        Assert.Equal("credential", sameEndpoint.HoldReason);
        Assert.NotNull(otherEndpoint.Ticket);
    }

    public void Dispose() => _meters.Dispose();

    private RateLimitPacer Create(PacingOptions options)
    {
        options.SharedPacing = false;
        var braze = Options.Create(new BrazeOptions { RestEndpoint = new Uri("https://rest.fra-01.braze.eu"), ApiKey = "k" });
        var metrics = new RelayMetrics(_meters);
        var tables = new RelayTables(new ConfigurationBuilder().Build(), Options.Create(new OutboxOptions()));
        var shared = new SharedPacingStore(tables, _time, Options.Create(options), metrics, NullLogger<SharedPacingStore>.Instance);
        var credentials = new CredentialGate(_time, Options.Create(options), shared, metrics, NullLogger<CredentialGate>.Instance);
        return new RateLimitPacer(_time, Options.Create(options), new BrazeWorkspaces(braze), shared, credentials, new FixedRandom(), metrics, NullLogger<RateLimitPacer>.Instance);
    }

    private BrazeResponse Answer(int status, long limit, long remaining, int resetInSeconds)
    {
        var now = _time.GetUtcNow();
        var info = new RateLimitInfo(limit, remaining, now.AddSeconds(resetInSeconds), null) { ServerDate = now };
        return new BrazeResponse("/users/track", status, BrazeResponse.Classify(status), info, null, [], TimeSpan.Zero, null) { SentAt = now, ReceivedAt = now };
    }

    private sealed class FixedRandom : IRandomSource
    {
        public double NextDouble() => 0;
    }

    private sealed class TestMeterFactory : System.Diagnostics.Metrics.IMeterFactory
    {
        private readonly List<System.Diagnostics.Metrics.Meter> _meters = [];

        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options)
        {
            var meter = new System.Diagnostics.Metrics.Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
