using System.Globalization;

namespace BrazeFunctions.Sandbox;

/// <summary>Writes <c>Date</c>, the <c>X-RateLimit-*</c> trio and the retry header of one answer in its bucket's dialect.</summary>
internal static class RateLimitHeaders
{
    public const string Limit = "X-RateLimit-Limit";
    public const string Remaining = "X-RateLimit-Remaining";
    public const string Reset = "X-RateLimit-Reset";

    public static void Write(HttpResponse response, HeaderDialect dialect, DateTimeOffset now, RateState state, string? retryAfter, HeaderValues? overrides)
    {
        if (dialect.SendDate)
        {
            // Braze's clock is the sandbox's clock, so Date comes from it too (whole seconds, as HTTP dates are).
            response.Headers.Date = now.ToString("r", CultureInfo.InvariantCulture);
        }
        else
        {
            response.Headers[DateHeaderRemover.Marker] = "1";
        }

        if (response.StatusCode != StatusCodes.Status429TooManyRequests || dialect.TrioOn429)
        {
            Set(response, Name(Limit, dialect), overrides?.Limit ?? Number(state.Limit));
            Set(response, Name(Remaining, dialect), overrides?.Remaining ?? Number(Math.Max(0, state.Remaining)));
            Set(response, Name(Reset, dialect), overrides?.Reset ?? ResetValue(dialect, state.Reset, now));
        }

        if ((overrides?.RetryAfter ?? retryAfter) is { } wait)
        {
            Set(response, RetryHeaderName(dialect), wait);
        }
    }

    /// <summary>The wait a 429 past the limit announces in the dialect's retry header, or null when the dialect sends none.</summary>
    public static string? NaturalRetryAfter(HeaderDialect dialect, DateTimeOffset reset, DateTimeOffset now) => dialect.RetryAfter switch
    {
        RetryAfterStyle.None => null,
        RetryAfterStyle.RetryAfterHttpDate => reset.ToString("r", CultureInfo.InvariantCulture),
        _ => Number(SecondsUntil(reset, now)),
    };

    public static string RetryHeaderName(HeaderDialect dialect) => dialect.RetryAfter switch
    {
        RetryAfterStyle.XRateLimitRetryAfter => Name("X-RateLimit-Retry-After", dialect),
        RetryAfterStyle.XRateLimitRetryAfterUnhyphenated => Name("X-RateLimit-RetryAfter", dialect),
        _ => "Retry-After",
    };

    private static string ResetValue(HeaderDialect dialect, DateTimeOffset reset, DateTimeOffset now) => dialect.Reset == ResetStyle.SecondsRemaining
        ? Number(SecondsUntil(reset, now))
        : reset.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    private static long SecondsUntil(DateTimeOffset reset, DateTimeOffset now) => Math.Max(0, (long)Math.Ceiling((reset - now).TotalSeconds));

    private static string Name(string canonical, HeaderDialect dialect) => dialect.LowerCaseNames ? canonical.ToLowerInvariant() : canonical;

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Set(HttpResponse response, string name, string value)
    {
        // An empty override leaves the header out, as a hostile or minimal answer would.
        if (value.Length > 0)
        {
            response.Headers[name] = value;
        }
    }
}
