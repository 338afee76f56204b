using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Azure.Storage.Queues.Models;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.IntegrationTests.FakeBraze;
using BrazeFunctions.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.IntegrationTests.Dispatch;

/// <summary>
/// The closing measurement of issue #4: 200 webhooks through the outbox, four dispatches at a time like a Functions batch,
/// against the fake Braze with a low /users/track limit (10 per 3-second window) and injected faults. It asserts the
/// invariants (every message ends in exactly one place; no request is sent inside an open 429 window) and writes the
/// figures to TestResults/dispatch-run.md (benchmarks/results/dispatch-run.md is a committed copy of one run). Time is a fake clock that runs ahead on its own, so the rate-limit
/// windows pass without the test sleeping through them.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class MeasuredRunTests(AzuriteFixture azurite)
{
    private const int Messages = 200;
    private const int Concurrency = 4;

    [Fact]
    public async Task Run_200MessagesAgainstALowRateLimit_EveryMessageEndsOnceAndNothingIsSentInsideA429Window()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var traffic = new TrafficRecorder(clock);
        await using var rig = await DispatchRig.StartAsync(
            azurite,
            new()
            {
                ["Dispatch:InPlaceRetries"] = "2",
                ["Dispatch:InPlaceRetryDelay"] = "00:00:00.200",
                ["Dispatch:ShortRateLimitWait"] = "00:00:05",
                ["Dispatch:RateLimitJitter"] = "00:00:00.300",
                ["Dispatch:RetrySchedule"] = "1s",
                ["Dispatch:RetryScheduleJitter"] = "0",
            },
            time: clock,
            configure: services => services.AddHttpClient<BrazeClient>().AddHttpMessageHandler(traffic.CreateHandler));
        rig.Braze.UsersTrackLimit = 10;
        rig.Braze.UsersTrackWindowSeconds = 3;
        rig.Braze.Rule = (sequence, body) =>
            body.Contains("always-503", StringComparison.Ordinal) ? new FakeAnswer.Status(503, "{\"message\":\"Service Unavailable\"}")
            : sequence % 23 == 0 ? new FakeAnswer.Status(500, "{\"message\":\"Internal Server Error\"}")
            : sequence % 37 == 0 ? new FakeAnswer.Drop()
            : null;
        var meters = rig.Host.Get<System.Diagnostics.Metrics.IMeterFactory>();
        using var rateLimitedMetric = new MetricCollector<long>(meters, RelayMetrics.MeterName, "relay.deliveries.rate_limited");
        using var retriedMetric = new MetricCollector<long>(meters, RelayMetrics.MeterName, "relay.deliveries.retried");
        using var deliveredMetric = new MetricCollector<long>(meters, RelayMetrics.MeterName, "relay.deliveries.delivered");
        using var deadMetric = new MetricCollector<long>(meters, RelayMetrics.MeterName, "relay.deliveries.dead_lettered");

        var expected = new Dictionary<string, string>();
        for (var i = 0; i < Messages; i++)
        {
            var (payload, fate) = i switch
            {
                _ when i % 50 == 7 => ("{\"plan\":\"no-identifier\"}", "dead:http_400"),
                _ when i % 67 == 11 => ("{\"abort\":\"opted out\"}", "aborted"),
                100 => ("{\"fail\":\"unknown variable\"}", "dead:template_error"),
                _ when i % 100 == 33 => ("{\"user_id\":\"always-503\"}", "dead:retries_exhausted"),
                _ => ($"{{\"user_id\":\"u-{i}\",\"plan\":\"gold\"}}", "delivered"),
            };
            var envelope = rig.Envelope(payload);
            expected[envelope.Id] = fate;
            await rig.Outbox.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(envelope)));
        }

        var started = Stopwatch.StartNew();
        var fakeStart = clock.GetUtcNow();
        using var stop = new CancellationTokenSource();
        var pump = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                clock.Advance(TimeSpan.FromMilliseconds(10));
                await Task.Delay(2);
            }
        });

        var final = new ConcurrentDictionary<string, string>();
        var deferred = new ConcurrentBag<string>();
        var dispatcher = rig.Host.Get<OutboxDispatcher>();
        using var slots = new SemaphoreSlim(Concurrency);
        var running = new List<Task>();
        while (final.Count < Messages && started.Elapsed < TimeSpan.FromSeconds(150))
        {
            running.RemoveAll(t => t.IsCompleted);
            QueueMessage[] batch = (await rig.Outbox.ReceiveMessagesAsync(16, TimeSpan.FromMinutes(5))).Value;
            if (batch.Length == 0)
            {
                await Task.Delay(50);
                continue;
            }

            foreach (var message in batch)
            {
                await slots.WaitAsync();
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        var id = EnvelopeCodec.Deserialize(message.Body).Id;
                        var result = await dispatcher.DispatchAsync(message.Body.ToString(), message.DequeueCount, default);
                        // As the Functions host does when the function returns: the message is done.
                        await rig.Outbox.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                        if (result.Outcome == DispatchOutcome.Deferred)
                        {
                            deferred.Add(result.Reason!);
                        }
                        else
                        {
                            Assert.True(final.TryAdd(id, result.Outcome == DispatchOutcome.DeadLettered ? "dead:" + result.Reason : result.Outcome.ToString().ToLowerInvariant()), $"{id} ended twice");
                        }
                    }
                    finally
                    {
                        slots.Release();
                    }
                }));
            }
        }

        await Task.WhenAll(running);
        await stop.CancelAsync();
        await pump;
        var fakeElapsed = clock.GetUtcNow() - fakeStart;

        // Every message ended exactly once, where its payload said it would.
        Assert.Equal(Messages, final.Count);
        Assert.All(expected, e => Assert.Equal(e.Value, final[e.Key]));
        Assert.Equal(0, (await rig.Outbox.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        var poison = await rig.Host.Get<DeadLetterStore>().ListAsync(DeadLetterFilter.All, default);
        Assert.Equal(expected.Count(e => e.Value.StartsWith("dead:", StringComparison.Ordinal)), poison.Count);

        var requests = rig.Braze.Requests;
        var calls = traffic.Calls;
        var windows = calls.Where(c => c.Status == 429 && c.ReceivedAt is not null && c.Reset is not null).ToList();
        var sentInsideWindow = calls.Count(c => windows.Any(w => c.SentAt > w.ReceivedAt && c.SentAt < w.Reset));
        var arrivedAfterAnnounced = requests.Where(r => r.InsideAnnouncedWindow).ToList();
        // Requests the fake saw inside a window it had announced must have left the relay before the relay got that 429.
        var byClientSequence = calls.ToDictionary(c => c.Sequence);
        var inFlightOnly = arrivedAfterAnnounced.All(r =>
            r.ClientSequence is { } s && r.WindowAnnouncedBy is { } by && byClientSequence[s].SentAt <= byClientSequence[by].ReceivedAt);

        Assert.Equal(0, sentInsideWindow);
        Assert.True(inFlightOnly, "a request reached the fake inside an announced 429 window although the relay had already received that 429");
        Assert.Equal(requests.Count, calls.Count);
        Assert.Equal(rig.Braze.RateLimitedAnswers, rateLimitedMetric.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Equal(expected.Count(e => e.Value == "delivered"), deliveredMetric.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.DoesNotContain(DispatchRig.ApiKey, rig.Host.AllLogText(), StringComparison.Ordinal);

        var report = new StringBuilder()
            .AppendLine("# Dispatch measured run")
            .AppendLine()
            .AppendLine("Written by `MeasuredRunTests` (tests/BrazeFunctions.IntegrationTests/Dispatch/MeasuredRunTests.cs) to")
            .AppendLine("`TestResults/dispatch-run.md` on every test run; `benchmarks/results/dispatch-run.md` is a committed copy of one run. Setup: 200 envelopes on a real Azurite outbox, dispatched four at a time (like a")
            .AppendLine("Functions batch) by the real dispatcher against the fake Braze (Kestrel on 127.0.0.1) with `/users/track` limited to")
            .AppendLine("10 requests per 3-second fixed window; every 23rd request answered 500, every 37th connection dropped; payloads that")
            .AppendLine("produce a 400, a template error, an abort and a permanent 503. In-place retries 2, short 429 wait 5 s, retry schedule `1s`.")
            .AppendLine("The clock is a FakeTimeProvider running ahead on its own (10 ms per 2 ms), so rate-limit windows pass without sleeping.")
            .AppendLine()
            .AppendLine("| figure | value |")
            .AppendLine("| --- | --- |")
            .AppendLine(Row("messages", Messages))
            .AppendLine(Row("delivered", final.Values.Count(v => v == "delivered")))
            .AppendLine(Row("aborted by the template", final.Values.Count(v => v == "aborted")))
            .AppendLine(Row("dead-lettered", final.Values.Count(v => v.StartsWith("dead:", StringComparison.Ordinal))))
            .AppendLine(Row("... of which http_400 (Braze refused the body)", final.Values.Count(v => v == "dead:http_400")))
            .AppendLine(Row("... of which template_error", final.Values.Count(v => v == "dead:template_error")))
            .AppendLine(Row("... of which retries_exhausted (503 on every try)", final.Values.Count(v => v == "dead:retries_exhausted")))
            .AppendLine(Row("deferred (re-enqueued) on the retry schedule", deferred.Count(d => d == "retry_schedule")))
            .AppendLine(Row("deferred for a rate limit", deferred.Count(d => d == "rate_limit")))
            .AppendLine(Row("requests Braze received", requests.Count))
            .AppendLine(Row("... answered 2xx", requests.Count(r => r.Status is >= 200 and < 300)))
            .AppendLine(Row("... answered 429 by the fake", rig.Braze.RateLimitedAnswers))
            .AppendLine(Row("... answered 500/503", requests.Count(r => r.Status is 500 or 503)))
            .AppendLine(Row("... answered 400", requests.Count(r => r.Status == 400)))
            .AppendLine(Row("... connections dropped", requests.Count(r => r.Dropped)))
            .AppendLine(Row("in-place retries (relay.deliveries.retried)", retriedMetric.GetMeasurementSnapshot().Sum(m => m.Value)))
            .AppendLine(Row("requests sent inside an open 429 window (after the relay had the 429, before its reset)", sentInsideWindow))
            .AppendLine(Row("requests that reached the fake after it had answered a 429 and before that reset", arrivedAfterAnnounced.Count))
            .AppendLine(Row("... all of them already in flight when the relay received that 429", inFlightOnly ? "yes" : "no"))
            .AppendLine(Row("simulated time", fakeElapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s"))
            .AppendLine(Row("wall-clock time (informative only)", started.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s"))
            .AppendLine()
            .AppendLine("Dead-lettered messages by reason code (from the poison queue):")
            .AppendLine();
        foreach (var group in poison.GroupBy(p => p.Entry.Reason?.Code ?? "(none)").OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"- `{group.Key}`: {group.Count()} (status {string.Join(", ", group.Select(p => p.Entry.Reason?.Status?.ToString(CultureInfo.InvariantCulture) ?? "-").Distinct())})");
        }

        // Not the committed copy: a test run must not modify tracked files.
        var path = Path.Combine(RepositoryRoot.Path, "TestResults", "dispatch-run.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, report.ToString());
    }

    private static string Row(string name, object value) => $"| {name} | {value} |";

    /// <summary>What the relay's HttpClient sent and received, on the same clock as the dispatcher.</summary>
    private sealed class TrafficRecorder(TimeProvider time)
    {
        private readonly ConcurrentDictionary<long, Call> _calls = new();
        private long _sequence;

        public IReadOnlyList<Call> Calls => [.. _calls.Values.OrderBy(c => c.Sequence)];

        public DelegatingHandler CreateHandler() => new Handler(this);

        internal sealed record Call(long Sequence, DateTimeOffset SentAt)
        {
            public DateTimeOffset? ReceivedAt { get; set; }

            public int Status { get; set; }

            public DateTimeOffset? Reset { get; set; }
        }

        private sealed class Handler(TrafficRecorder recorder) : DelegatingHandler
        {
            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                var call = new Call(Interlocked.Increment(ref recorder._sequence), recorder.Time.GetUtcNow());
                recorder._calls[call.Sequence] = call;
                request.Headers.Add(FakeBrazeServer.ClientSequenceHeader, call.Sequence.ToString(CultureInfo.InvariantCulture));
                var response = await base.SendAsync(request, cancellationToken);
                var now = recorder.Time.GetUtcNow();
                call.Status = (int)response.StatusCode;
                var info = RateLimitInfo.Parse(response.Headers, now);
                call.Reset = call.Status == 429 ? now + info.WaitAfterRateLimit(now, TimeSpan.Zero) : info.Reset;
                call.ReceivedAt = now;
                return response;
            }
        }

        private TimeProvider Time => time;
    }
}
