using System.CommandLine;
using System.Globalization;

namespace BrazeFunctions.Sandbox;

/// <summary>The process's options, parsed into <see cref="SandboxOptions"/>.</summary>
internal static class SandboxCommandLine
{
    /// <summary>An environment variable that sets the accepted key without putting it on a command line.</summary>
    public const string ApiKeyVariable = "BRAZE_SANDBOX_API_KEY";

    private static readonly Option<string> Listen = new("--listen")
    {
        Description = "URL to listen on.",
        DefaultValueFactory = _ => SandboxOptions.DefaultListen,
    };

    private static readonly Option<string?> ApiKey = new("--api-key")
    {
        Description = $"The REST API key to accept as 'Authorization: Bearer <key>' (default: ${ApiKeyVariable}, else '{SandboxOptions.DefaultApiKey}', the key of local.settings.sample.json). Other keys get 401.",
    };

    private static readonly Option<string[]> Limits = new("--limit")
    {
        Description = "A bucket's limit: <bucket>=<requests>/<window>, the window in seconds or as 3s, 1m, 1h (repeatable). Buckets: users-track, identity, messaging, broadcast, subscription, other. Default: Braze's own limits (users-track 3000/3s, identity 20000/1m, messaging 250000/1h, broadcast 250/1m, subscription 5000/1m, other 250000/1h).",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private static readonly Option<string[]> Dialects = new("--dialect")
    {
        Description = "A bucket's header dialect: <bucket|all>=<token>[,<token>...] (repeatable, applied in order). Tokens: reset=epoch|remaining, retry-after=none|x-ratelimit-retry-after|x-ratelimit-retryafter|retry-after|retry-after-date, no-trio-on-429, lower-case, no-date. Default: reset=epoch,retry-after=none.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private static readonly Option<string[]> Hostile = new("--hostile")
    {
        Description = $"Answer the n-th request of a bucket with a hostile answer: <bucket>@<n>=<kind> (repeatable). Kinds: {string.Join(", ", HostileAnswers.Kinds)}.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private static readonly Option<int> ObjectCap = new("--users-track-object-cap")
    {
        Description = "Objects allowed in one /users/track request (more: 400 \"Max Input Length Exceeded\").",
        DefaultValueFactory = _ => 75,
    };

    private static readonly Option<string?> Jsonl = new("--jsonl")
    {
        Description = "Append each request to this file as one JSON line (time, path, bucket, status, objects, user ids, body).",
    };

    private static readonly Option<EchoMode> Echo = new("--echo")
    {
        Description = "What to print for each request: Full (a line and the JSON body), Line, or None.",
        DefaultValueFactory = _ => EchoMode.Full,
    };

    public static RootCommand Create(Func<SandboxOptions, CancellationToken, Task<int>> run)
    {
        var root = new RootCommand("A local stand-in for Braze's REST API: answers like Braze (201 bodies, X-RateLimit-* headers per rate-limit bucket, per-object errors, 429 past the limit) and prints each request it receives.")
        {
            Listen, ApiKey, Limits, Dialects, Hostile, ObjectCap, Jsonl, Echo,
        };
        root.SetAction((parse, cancellation) =>
        {
            SandboxOptions options;
            try
            {
                options = ToOptions(parse, Environment.GetEnvironmentVariable(ApiKeyVariable));
            }
            catch (FormatException problem)
            {
                parse.InvocationConfiguration.Error.WriteLine("error: " + problem.Message);
                return Task.FromResult(1);
            }

            return run(options, cancellation);
        });
        return root;
    }

    public static SandboxOptions ToOptions(ParseResult parse, string? apiKeyFromEnvironment)
    {
        var dialects = new Dictionary<BrazeBucket, HeaderDialect>();
        foreach (var (target, tokens) in (parse.GetValue(Dialects) ?? []).Select(Split))
        {
            foreach (var bucket in target == "all" ? Enum.GetValues<BrazeBucket>() : [Bucket(target)])
            {
                dialects[bucket] = HeaderDialect.Parse(tokens, dialects.GetValueOrDefault(bucket, HeaderDialect.Default));
            }
        }

        return new SandboxOptions
        {
            Listen = parse.GetValue(Listen) ?? SandboxOptions.DefaultListen,
            ApiKey = parse.GetValue(ApiKey) ?? (string.IsNullOrEmpty(apiKeyFromEnvironment) ? SandboxOptions.DefaultApiKey : apiKeyFromEnvironment),
            Limits = (parse.GetValue(Limits) ?? []).Select(Split).ToDictionary(pair => Bucket(pair.Name), pair => ParseLimit(pair.Value)),
            Dialects = dialects,
            BucketScripts = [.. (parse.GetValue(Hostile) ?? []).Select(ParseHostile)],
            UsersTrackObjectCap = parse.GetValue(ObjectCap),
            JsonlPath = parse.GetValue(Jsonl),
            Echo = parse.GetValue(Echo),
        };
    }

    /// <summary>"6/3s", "4/6", "20000/1m".</summary>
    public static BucketLimit ParseLimit(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var requests))
        {
            throw new FormatException($"limit '{text}' is not <requests>/<window> (e.g. 6/3s)");
        }

        var window = parts[1].Trim();
        var unit = window[^1] switch { 's' => 1, 'm' => 60, 'h' => 3600, _ => 0 };
        var number = unit == 0 ? window : window[..^1];
        if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1)
        {
            throw new FormatException($"window '{window}' is not a whole number of seconds, minutes (m) or hours (h)");
        }

        return new BucketLimit(requests, TimeSpan.FromSeconds((long)count * Math.Max(unit, 1)));
    }

    private static (BrazeBucket, int, SandboxAnswer) ParseHostile(string text)
    {
        var (target, kind) = Split(text);
        var at = target.Split('@');
        if (at.Length != 2 || !int.TryParse(at[1], NumberStyles.None, CultureInfo.InvariantCulture, out var nth) || nth < 1)
        {
            throw new FormatException($"hostile answer '{text}' is not <bucket>@<n>=<kind> (e.g. identity@3=retry-after-two-days)");
        }

        return (Bucket(at[0]), nth, HostileAnswers.Create(kind));
    }

    private static (string Name, string Value) Split(string text)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new FormatException($"'{text}' is not <bucket>=<value>");
        }

        return (text[..equals].Trim().ToLowerInvariant(), text[(equals + 1)..].Trim());
    }

    private static BrazeBucket Bucket(string name) => BrazeBuckets.TryParse(name, out var bucket)
        ? bucket
        : throw new FormatException($"unknown bucket '{name}' (expected {string.Join(", ", Enum.GetValues<BrazeBucket>().Select(BrazeBuckets.Name))})");
}
