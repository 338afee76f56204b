using System.Globalization;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.IntegrationTests.Dispatch;
using BrazeFunctions.IntegrationTests.FakeBraze;
using BrazeFunctions.IntegrationTests.Infrastructure;

namespace BrazeFunctions.IntegrationTests.Pacing;

/// <summary>
/// One answer with hostile or broken rate-limit headers, then ordinary answers: no message is dead-lettered, no run
/// throws (so none can crash-loop), and delivery resumes within <c>Dispatch__MaxRateLimitHold</c> plus one window. The
/// bound is checked on the delays the relay chose for its deferrals, not on a clock.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class HostileHeaderTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan MaxHold = TimeSpan.FromSeconds(2);

    /// <summary>The hold plus the fake's /users/track window (3 s), with the deferral spread (a tenth of a wait) on both.</summary>
    private static readonly TimeSpan Bound = (MaxHold + TimeSpan.FromSeconds(3)) * 1.1;

    /// <summary>
    /// The first answer: its status and its headers as sent (<c>@+n</c> is the epoch n seconds from now), and whether
    /// the fake sends no Date at all.
    /// </summary>
    public static TheoryData<string, int, string, bool> Answers => new()
    {
        { "Retry-After of two days", 429, "retry-after=172800", false },
        { "X-RateLimit-RetryAfter of two days", 429, "x-ratelimit-retryafter=172800;x-ratelimit-limit=3000;x-ratelimit-remaining=0;x-ratelimit-reset=@+3", false },
        { "X-RateLimit-Retry-After as an HTTP date two days ahead", 429, "x-ratelimit-retry-after=date+172800", false },
        { "a 429 resetting in the year 9999", 429, "x-ratelimit-limit=3000;x-ratelimit-remaining=0;x-ratelimit-reset=253402300799", false },
        { "a 201 resetting in the year 9999", 201, "x-ratelimit-limit=3000;x-ratelimit-remaining=2999;x-ratelimit-reset=253402300799", false },
        { "a reset as seconds remaining", 429, "x-ratelimit-limit=3000;x-ratelimit-remaining=0;x-ratelimit-reset=1", false },
        { "a reset as seconds remaining and no Date", 429, "x-ratelimit-limit=3000;x-ratelimit-remaining=0;x-ratelimit-reset=1", true },
        { "negative values", 429, "x-ratelimit-limit=-1;x-ratelimit-remaining=-1;x-ratelimit-reset=-5;retry-after=-30;x-ratelimit-retry-after=-30", false },
        { "garbage", 429, "x-ratelimit-limit=lots;x-ratelimit-reset=tomorrow;retry-after=soon;x-ratelimit-retry-after=1e999", false },
        { "upper-case names", 429, "X-RATELIMIT-LIMIT=3000;X-RATELIMIT-REMAINING=0;X-RATELIMIT-RESET=@+1;X-RATELIMIT-RETRY-AFTER=1", false },
        { "a bare 429 without any rate-limit header and without a Date", 429, string.Empty, true },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task Dispatch_AfterAHostileAnswer_NothingIsDeadLetteredAndDeliveryResumesWithinTheBound(string answer, int status, string headers, bool noDate)
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new()
        {
            ["Dispatch:MaxRateLimitHold"] = "00:00:02",
            ["Dispatch:RateLimitFallbackWait"] = "00:00:01",
            ["Dispatch:ShortRateLimitWait"] = "00:00:00",
            ["Dispatch:RateLimitJitter"] = "00:00:00",
            ["Dispatch:MaxMessageAge"] = "00:01:00",
        });
        rig.Braze.Script(new FakeAnswer.Status(status, Headers: Parse(headers)));
        rig.Braze.OmitDate = noDate;

        var first = await DeliverAsync(rig, rig.Envelope("{\"user_id\":\"first\",\"plan\":\"gold\"}"));
        var second = await DeliverAsync(rig, rig.Envelope("{\"user_id\":\"second\",\"plan\":\"gold\"}"));

        Assert.All(new[] { first, second }, r => Assert.True(r.Outcome == DispatchOutcome.Delivered, $"{answer}: {r.Outcome} ({r.Reason})"));
        var waited = first.Waited + second.Waited;
        Assert.True(waited <= Bound, $"{answer}: deferred for {waited.TotalSeconds:0.###} s in all, more than {Bound.TotalSeconds:0.###} s");
        Assert.Empty(await rig.ReceiveAllAsync(rig.Poison));
    }

    /// <summary>Dispatches the envelope again after each deferral, as the queue would; the sum of the deferral delays is the wait.</summary>
    private static async Task<(DispatchOutcome Outcome, string? Reason, TimeSpan Waited)> DeliverAsync(DispatchRig rig, WebhookEnvelope envelope)
    {
        var waited = TimeSpan.Zero;
        for (var run = 0; run < 20; run++)
        {
            var result = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(envelope), 1, default);
            if (result.Outcome != DispatchOutcome.Deferred)
            {
                return (result.Outcome, result.Reason, waited);
            }

            var delay = result.Delay ?? TimeSpan.Zero;
            waited += delay;
            await Task.Delay(delay);
        }

        return (DispatchOutcome.Deferred, "still deferred after 20 runs", waited);
    }

    private static Dictionary<string, string> Parse(string spec)
    {
        var now = TimeProvider.System.GetUtcNow();
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in spec.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = (pair[..pair.IndexOf('=', StringComparison.Ordinal)], pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            headers[name] = value switch
            {
                _ when value.StartsWith("@+", StringComparison.Ordinal) => (now.ToUnixTimeSeconds() + long.Parse(value[2..], CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture),
                _ when value.StartsWith("date+", StringComparison.Ordinal) => now.AddSeconds(long.Parse(value[5..], CultureInfo.InvariantCulture)).ToString("r", CultureInfo.InvariantCulture),
                _ => value,
            };
        }

        return headers;
    }
}
