using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace BrazeFunctions.Telemetry;

/// <summary>
/// What <see cref="SecretRedactingProcessor"/> removes from exported spans, beyond the function key
/// (<see cref="FunctionKeyRedaction"/>): credentials after an HTTP authorization scheme (<c>Bearer</c>, <c>SharedKey</c>,
/// <c>Basic</c>), SAS signatures (<c>sig=</c>), storage connection-string keys (<c>AccountKey=</c>,
/// <c>SharedAccessSignature=</c>), every query value of a URL tag, and the configured secrets themselves (Braze API keys,
/// ingress shared secrets) wherever they appear.
/// </summary>
internal sealed partial class SecretRedaction
{
    public const string Placeholder = FunctionKeyRedaction.Placeholder;

    // Settings whose values are secrets; a value shorter than this is too likely to occur by chance to be replaced.
    private const int MinimumSecretLength = 8;

    /// <summary>Tags whose value is a URL or a query string (OpenTelemetry's current and older HTTP conventions).</summary>
    private static readonly HashSet<string> UrlTags = new(StringComparer.Ordinal) { "url.full", "url.query", "http.url", "http.target" };

    private readonly string[] _knownSecrets;

    public SecretRedaction(IEnumerable<string> knownSecrets)
    {
        ArgumentNullException.ThrowIfNull(knownSecrets);
        // Longest first, so that a secret containing another is replaced whole.
        _knownSecrets = [.. knownSecrets.Where(s => s.Length >= MinimumSecretLength).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length)];
    }

    /// <summary>The Braze API keys and ingress secrets the app is configured with (none when there is no configuration).</summary>
    public static SecretRedaction FromConfiguration(IConfiguration? configuration)
    {
        if (configuration is null)
        {
            return new SecretRedaction([]);
        }

        var secrets = new List<string?>
        {
            configuration["Braze:ApiKey"],
            configuration["Ingress:SharedSecret"],
            configuration["Ingress:NextSharedSecret"],
        };
        secrets.AddRange(configuration.GetSection("Braze:Workspaces").GetChildren().Select(w => w["ApiKey"]));
        return new SecretRedaction(secrets.OfType<string>());
    }

    /// <summary><paramref name="value"/> of the tag <paramref name="key"/> with every secret replaced, or the same instance when it holds none.</summary>
    public string Redact(string? key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var result = FunctionKeyRedaction.Redact(value);
        result = Credential().Replace(result, m => m.Groups["prefix"].Value + Placeholder);
        foreach (var secret in _knownSecrets)
        {
            if (result.Contains(secret, StringComparison.Ordinal))
            {
                result = result.Replace(secret, Placeholder, StringComparison.Ordinal);
            }
        }

        if (key is not null && UrlTags.Contains(key))
        {
            result = RedactQueryValues(key, result);
        }

        return string.Equals(result, value, StringComparison.Ordinal) ? value : result;
    }

    /// <summary>Every query parameter keeps its name and loses its value: a URL's query may carry a token of any name.</summary>
    private static string RedactQueryValues(string key, string text)
    {
        // url.query holds the query string alone, without its '?'.
        var query = key == "url.query" ? "?" + text : text;
        var redacted = QueryValue().Replace(query, m => m.Groups["prefix"].Value + Placeholder);
        return key == "url.query" ? redacted[1..] : redacted;
    }

    [GeneratedRegex(@"(?<prefix>[?&;]sig=|\b(?:Bearer|SharedKey|SharedKeyLite|Basic)\s+|\b(?:AccountKey|SharedAccessSignature|SharedAccessKey)=)(?!REDACTED(?:[\s""'<>;&#,]|$))[^\s""'<>;&#,]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Credential();

    [GeneratedRegex(@"(?<prefix>[?&][^=&#\s]+=)(?!REDACTED(?:[&#\s]|$))[^&#\s]+", RegexOptions.CultureInvariant)]
    private static partial Regex QueryValue();
}
