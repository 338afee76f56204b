using System.Globalization;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;

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

    /// <summary>The first answer, by name: the sandbox's scripted answer and the header dialect of the /users/track bucket.</summary>
    public static TheoryData<string> Answers => new(
        "Retry-After of two days",
        "X-RateLimit-RetryAfter of two days",
        "X-RateLimit-Retry-After as an HTTP date two days ahead",
        "a 429 resetting in the year 9999",
        "a 201 resetting in the year 9999",
        "a reset as seconds remaining",
        "a reset as seconds remaining and no Date",
        "negative values",
        "garbage in Retry-After",
        "garbage in X-RateLimit-Retry-After",
        "lower-case names",
        "a bare 429 without any rate-limit header and without a Date");

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task Dispatch_AfterAHostileAnswer_NothingIsDeadLetteredAndDeliveryResumesWithinTheBound(string answer)
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new()
        {
            ["Dispatch:MaxRateLimitHold"] = "00:00:02",
            ["Dispatch:RateLimitFallbackWait"] = "00:00:01",
            ["Dispatch:ShortRateLimitWait"] = "00:00:00",
            ["Dispatch:RateLimitJitter"] = "00:00:00",
            ["Dispatch:MaxMessageAge"] = "00:01:00",
        });
        var (scripted, dialect) = Hostile(answer);
        rig.Braze.SetDialect(BrazeBucket.UsersTrack, dialect);
        rig.Braze.Script(scripted);

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

    private static (SandboxAnswer Answer, HeaderDialect Dialect) Hostile(string answer)
    {
        var now = TimeProvider.System.GetUtcNow();
        string In(int seconds) => (now.ToUnixTimeSeconds() + seconds).ToString(CultureInfo.InvariantCulture);
        var none = new HeaderValues(Limit: string.Empty, Remaining: string.Empty, Reset: string.Empty);
        var plain = HeaderDialect.Default;
        var retryHyphenated = plain with { RetryAfter = RetryAfterStyle.XRateLimitRetryAfter };
        const string Limited = HostileAnswers.RateLimitedBody;
        return answer switch
        {
            "Retry-After of two days" => (new SandboxAnswer.Status(429, Limited, RetryAfter: HostileAnswers.TwoDaysSeconds, Headers: none), plain),
            "X-RateLimit-RetryAfter of two days" => (
                new SandboxAnswer.Status(429, Limited, RetryAfter: HostileAnswers.TwoDaysSeconds, Headers: new HeaderValues("3000", "0", In(3))),
                plain with { RetryAfter = RetryAfterStyle.XRateLimitRetryAfterUnhyphenated, LowerCaseNames = true }),
            "X-RateLimit-Retry-After as an HTTP date two days ahead" => (
                new SandboxAnswer.Status(429, Limited, RetryAfter: now.AddDays(2).ToString("r", CultureInfo.InvariantCulture), Headers: none), retryHyphenated),
            "a 429 resetting in the year 9999" => (new SandboxAnswer.Status(429, Limited, Headers: new HeaderValues("3000", "0", HostileAnswers.Year9999EpochSeconds)), plain),
            "a 201 resetting in the year 9999" => (new SandboxAnswer.WithHeaders(new HeaderValues("3000", "2999", HostileAnswers.Year9999EpochSeconds)), plain),
            "a reset as seconds remaining" => (new SandboxAnswer.Status(429, Limited, Headers: new HeaderValues("3000", "0", "1")), plain),
            "a reset as seconds remaining and no Date" => (new SandboxAnswer.Status(429, Limited, Headers: new HeaderValues("3000", "0", "1")), plain with { SendDate = false }),
            "negative values" => (HostileAnswers.Negative(rateLimited: true), retryHyphenated),
            "garbage in Retry-After" => (HostileAnswers.Garbage(rateLimited: true), plain),
            "garbage in X-RateLimit-Retry-After" => (new SandboxAnswer.Status(429, Limited, RetryAfter: "1e999", Headers: new HeaderValues("lots", "0x1F", "tomorrow")), retryHyphenated),
            "lower-case names" => (new SandboxAnswer.Status(429, Limited, RetryAfter: "1", Headers: new HeaderValues("3000", "0", In(1))), retryHyphenated with { LowerCaseNames = true }),
            "a bare 429 without any rate-limit header and without a Date" => (new SandboxAnswer.Status(429, Limited, Headers: none), plain with { SendDate = false }),
            _ => throw new ArgumentOutOfRangeException(nameof(answer), answer, "no such hostile answer"),
        };
    }
}
