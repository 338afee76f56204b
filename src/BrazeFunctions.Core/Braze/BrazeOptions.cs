using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Braze;

/// <summary>How the relay reaches Braze's REST API (section <c>Braze</c>, app settings <c>Braze__RestEndpoint</c>, <c>Braze__ApiKey</c>).</summary>
public sealed class BrazeOptions
{
    public const string Section = "Braze";

    /// <summary>The workspace's REST host, e.g. <c>https://rest.fra-01.braze.eu</c>.</summary>
    [Required(ErrorMessage = "Braze:RestEndpoint is required (Braze__RestEndpoint, e.g. https://rest.fra-01.braze.eu).")]
    public Uri? RestEndpoint { get; set; }

    /// <summary>The REST API key (a Key Vault reference in Azure). Never logged, never in an exception or a dead letter.</summary>
    [Required(ErrorMessage = "Braze:ApiKey is required (Braze__ApiKey: the REST API key, a Key Vault reference in Azure).")]
    public string ApiKey { get; set; } = string.Empty;

    /// <summary>Development and tests only: allows <c>http://127.0.0.1</c> or <c>http://localhost</c> as the endpoint.</summary>
    public bool AllowLoopbackHttp { get; set; }

    /// <summary>Timeout of one HTTP request to Braze (each in-place retry gets its own).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00", ErrorMessage = "Braze:RequestTimeout must be between 1 second and 5 minutes.")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    // The key stays out of any accidental ToString (debugger display, structured logging of the options object).
    public override string ToString() => $"Braze endpoint {RestEndpoint}";
}

/// <summary>
/// Checks the endpoint against Braze's documented REST hosts, so that a typo or a hostile setting cannot send the API key
/// and webhook data anywhere else.
/// </summary>
internal sealed class BrazeOptionsValidator : IValidateOptions<BrazeOptions>
{
    internal static readonly IReadOnlySet<string> DocumentedHosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "rest.iad-01.braze.com", "rest.iad-02.braze.com", "rest.iad-03.braze.com", "rest.iad-04.braze.com",
        "rest.iad-05.braze.com", "rest.iad-06.braze.com", "rest.iad-07.braze.com", "rest.iad-08.braze.com",
        "rest.us-10.braze.com",
        "rest.fra-01.braze.eu", "rest.fra-02.braze.eu",
        "rest.au-01.braze.com", "rest.id-01.braze.com", "rest.jp-01.braze.com", "rest.kr-01.braze.com",
    };

    public ValidateOptionsResult Validate(string? name, BrazeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var endpoint = options.RestEndpoint;
        if (endpoint is null)
        {
            return ValidateOptionsResult.Skip; // [Required] reports it.
        }

        if (!endpoint.IsAbsoluteUri)
        {
            return ValidateOptionsResult.Fail($"Braze:RestEndpoint '{endpoint}' is not an absolute URL.");
        }

        if (!string.IsNullOrEmpty(endpoint.UserInfo) || endpoint.AbsolutePath != "/" || !string.IsNullOrEmpty(endpoint.Query))
        {
            return ValidateOptionsResult.Fail($"Braze:RestEndpoint must be a bare host URL such as https://rest.fra-01.braze.eu, without path, query or credentials (got '{endpoint.GetLeftPart(UriPartial.Authority)}...').");
        }

        if (options.AllowLoopbackHttp && endpoint.IsLoopback && (endpoint.Scheme == Uri.UriSchemeHttp || endpoint.Scheme == Uri.UriSchemeHttps))
        {
            return ValidateOptionsResult.Success;
        }

        if (endpoint.Scheme != Uri.UriSchemeHttps || !endpoint.IsDefaultPort)
        {
            return ValidateOptionsResult.Fail($"Braze:RestEndpoint must use https on the default port (got '{endpoint.GetLeftPart(UriPartial.Authority)}'); Braze:AllowLoopbackHttp=true permits http://127.0.0.1 for development only.");
        }

        if (!DocumentedHosts.Contains(endpoint.Host))
        {
            return ValidateOptionsResult.Fail($"Braze:RestEndpoint host '{endpoint.Host}' is not one of Braze's documented REST hosts ({string.Join(", ", DocumentedHosts.Order(StringComparer.Ordinal))}).");
        }

        return ValidateOptionsResult.Success;
    }
}
