using System.CommandLine.Parsing;
using System.Globalization;

namespace BrazeFunctions.Cli;

/// <summary><c>--since</c>: an ISO 8601 time (UTC unless it names an offset) or an age (<c>90s</c>, <c>30m</c>, <c>6h</c>, <c>2d</c>) counted back from now.</summary>
internal static class SinceParser
{
    public static DateTimeOffset? Parse(ArgumentResult result, TimeProvider time)
    {
        var text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[0].Value;
        if (TryParse(text, time.GetUtcNow(), out var since))
        {
            return since;
        }

        result.AddError($"--since '{text}' is neither an ISO 8601 time (2025-01-31T08:00:00Z) nor an age such as 90m, 6h or 2d.");
        return null;
    }

    public static bool TryParse(string text, DateTimeOffset now, out DateTimeOffset since)
    {
        since = default;
        if (text.Length >= 2 && char.IsAsciiDigit(text[0])
            && int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            TimeSpan? age = char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            if (age is { } value)
            {
                since = now - value;
                return true;
            }
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out since);
    }
}
