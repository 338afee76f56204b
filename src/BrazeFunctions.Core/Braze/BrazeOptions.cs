using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Braze;

/// <summary>
/// How the relay reaches Braze's REST API (section <c>Braze</c>). One or more named workspaces, each with its REST host
/// and key: <c>Braze__Workspaces__&lt;name&gt;__RestEndpoint</c> and <c>Braze__Workspaces__&lt;name&gt;__ApiKey</c>. The
/// single-workspace settings <c>Braze__RestEndpoint</c> and <c>Braze__ApiKey</c> are the workspace named <c>default</c>.
/// </summary>
public sealed class BrazeOptions
{
    public const string Section = "Braze";

    /// <summary>The <c>default</c> workspace's REST host, e.g. <c>https://rest.fra-01.braze.eu</c> (legacy single-workspace form).</summary>
    public Uri? RestEndpoint { get; set; }

    /// <summary>The <c>default</c> workspace's REST API key (a Key Vault reference in Azure). Never logged, never in an exception or a dead letter.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Named workspaces; the name is the template front matter's <c>workspace</c>.</summary>
    public Dictionary<string, BrazeWorkspaceOptions> Workspaces { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Development and tests only: allows <c>http://127.0.0.1</c> or <c>http://localhost</c> as an endpoint.</summary>
    public bool AllowLoopbackHttp { get; set; }

    /// <summary>Timeout of one HTTP request to Braze (each in-place retry gets its own).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00", ErrorMessage = "Braze:RequestTimeout must be between 1 second and 5 minutes.")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    // The keys stay out of any accidental ToString (debugger display, structured logging of the options object).
    public override string ToString() =>
        RestEndpoint is not null && Workspaces.Count == 0
            ? $"Braze endpoint {RestEndpoint}"
            : $"Braze workspaces {string.Join(", ", BrazeWorkspaces.Resolve(this).Select(w => w.ToString()))}";
}

/// <summary>One named workspace's settings (<c>Braze__Workspaces__&lt;name&gt;__...</c>).</summary>
public sealed class BrazeWorkspaceOptions
{
    public Uri? RestEndpoint { get; set; }

    public string? ApiKey { get; set; }

    /// <summary>Overrides <c>Templates:MaxUsersTrackObjects</c> for this workspace (some Braze contracts allow 50).</summary>
    [Range(1, 1_000)]
    public int? MaxUsersTrackObjects { get; set; }

    /// <summary>Overrides <c>Dispatch:RateLimitShare</c> for this workspace.</summary>
    [Range(0.01, 1.0)]
    public double? RateLimitShare { get; set; }

    /// <summary>
    /// How the workspace's contract counts <c>/users/track</c> objects: <c>combined</c> (the default: the object cap in total
    /// across attributes, events and purchases) or <c>per-array</c> (legacy contracts: the cap per array, three times it
    /// per call).
    /// </summary>
    public string? UsersTrackCapShape { get; set; }

    public override string ToString() => $"Braze endpoint {RestEndpoint}";
}

/// <summary>How a workspace's contract counts the objects of one <c>/users/track</c> request.</summary>
public enum UsersTrackCapShape
{
    /// <summary>The cap counts attributes, events and purchases together (Braze's current contracts).</summary>
    Combined,

    /// <summary>The cap applies to each array on its own (legacy contracts: 75 per array, 225 per call).</summary>
    PerArray,
}

/// <summary>One workspace as the relay uses it: resolved from either settings form.</summary>
public sealed record BrazeWorkspace(string Name, Uri RestEndpoint, string ApiKey, int? MaxUsersTrackObjects, double? RateLimitShare)
{
    /// <summary>How its contract counts <c>/users/track</c> objects.</summary>
    public UsersTrackCapShape CapShape { get; init; }

    /// <summary>
    /// What Braze keys this workspace's rate limits on: the REST host and the workspace behind the API key, named by a
    /// fingerprint of the key (a truncated SHA-256, never the key). Two relays, or two workspace names, with the same host
    /// and key share one budget; a staging and a production relay on one storage account do not.
    /// </summary>
    public string RateLimitScope { get; } = ScopeOf(RestEndpoint, ApiKey);

    public override string ToString() => $"{Name} ({RestEndpoint.GetLeftPart(UriPartial.Authority)})";

    private static string ScopeOf(Uri endpoint, string apiKey)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(apiKey);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("braze-relay-rate-limit-scope\n" + apiKey));
        // Table keys forbid '/', '\\', '#' and '?'; a host and a port never contain them.
        var host = endpoint.IsDefaultPort ? endpoint.Host : endpoint.Host + "-" + endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return host.ToLowerInvariant() + "_" + Convert.ToHexStringLower(hash.AsSpan(0, 12));
    }
}

/// <summary>The configured workspaces by name, resolved and validated once.</summary>
public sealed partial class BrazeWorkspaces
{
    public const string DefaultName = "default";

    private readonly Dictionary<string, BrazeWorkspace> _byName;

    public BrazeWorkspaces(IOptions<BrazeOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _byName = Resolve(options.Value).ToDictionary(w => w.Name, StringComparer.Ordinal);
    }

    public IReadOnlyCollection<string> Names => _byName.Keys;

    public bool TryGet(string name, out BrazeWorkspace workspace) => _byName.TryGetValue(name, out workspace!);

    public BrazeWorkspace Get(string name) =>
        _byName.TryGetValue(name, out var workspace)
            ? workspace
            : throw new InvalidOperationException($"Braze workspace '{name}' is not configured (known: {string.Join(", ", _byName.Keys.Order(StringComparer.Ordinal))}).");

    /// <summary>Merges the legacy default settings with the named ones; incomplete entries are skipped (the validator reports them).</summary>
    internal static IReadOnlyList<BrazeWorkspace> Resolve(BrazeOptions options)
    {
        var list = new List<BrazeWorkspace>();
        foreach (var (name, endpoint, key, entry) in Entries(options))
        {
            if (endpoint is not null && !string.IsNullOrEmpty(key))
            {
                list.Add(new BrazeWorkspace(name, endpoint, key, entry?.MaxUsersTrackObjects, entry?.RateLimitShare) { CapShape = CapShapeOf(entry?.UsersTrackCapShape) ?? UsersTrackCapShape.Combined });
            }
        }

        return list;
    }

    /// <summary>The setting's value read as a shape; null when it is not one (the validator reports it).</summary>
    internal static UsersTrackCapShape? CapShapeOf(string? setting) => setting?.Trim().ToLowerInvariant() switch
    {
        null or "" or "combined" => UsersTrackCapShape.Combined,
        "per-array" => UsersTrackCapShape.PerArray,
        _ => null,
    };

    internal static IEnumerable<(string Name, Uri? Endpoint, string? Key, BrazeWorkspaceOptions? Entry)> Entries(BrazeOptions options)
    {
        options.Workspaces.TryGetValue(DefaultName, out var named);
        if (options.RestEndpoint is not null || !string.IsNullOrEmpty(options.ApiKey) || named is not null)
        {
            yield return (DefaultName, options.RestEndpoint ?? named?.RestEndpoint, string.IsNullOrEmpty(options.ApiKey) ? named?.ApiKey : options.ApiKey, named);
        }

        foreach (var (name, entry) in options.Workspaces.OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            if (!string.Equals(name, DefaultName, StringComparison.OrdinalIgnoreCase))
            {
                yield return (name, entry.RestEndpoint, entry.ApiKey, entry);
            }
        }
    }

    /// <summary>Valid as an app setting segment, a Key Vault secret name and a .NET configuration key alike.</summary>
    [GeneratedRegex("^[a-z][a-z0-9]{0,23}$")]
    internal static partial Regex ValidName();
}

/// <summary>
/// Checks every workspace: a valid name, an endpoint and a key, and an endpoint among Braze's documented REST hosts, so
/// that a typo or a hostile setting cannot send an API key and webhook data anywhere else.
/// </summary>
public sealed class BrazeOptionsValidator : IValidateOptions<BrazeOptions>
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
        var failures = new List<string>();
        if (!string.IsNullOrEmpty(options.ApiKey) && options.Workspaces.TryGetValue(BrazeWorkspaces.DefaultName, out var named) && !string.IsNullOrEmpty(named.ApiKey))
        {
            failures.Add("Braze:ApiKey and Braze:Workspaces:default:ApiKey are both set; keep one (the legacy Braze__ApiKey is the workspace 'default').");
        }

        var entries = BrazeWorkspaces.Entries(options).ToList();
        if (entries.Count == 0)
        {
            failures.Add("Braze:RestEndpoint is required (Braze__RestEndpoint, e.g. https://rest.fra-01.braze.eu), or configure named workspaces as Braze__Workspaces__<name>__RestEndpoint and Braze__Workspaces__<name>__ApiKey.");
        }

        foreach (var (workspace, endpoint, key, entry) in entries)
        {
            var prefix = workspace == BrazeWorkspaces.DefaultName && options.RestEndpoint is not null ? "Braze:" : $"Braze:Workspaces:{workspace}:";
            if (!BrazeWorkspaces.ValidName().IsMatch(workspace))
            {
                failures.Add($"Braze workspace name '{workspace}' must be a lower-case letter followed by up to 23 lower-case letters or digits (valid for app settings, Key Vault secret names and configuration keys).");
                continue;
            }

            if (endpoint is null)
            {
                failures.Add($"{prefix}RestEndpoint is required for workspace '{workspace}' (e.g. https://rest.fra-01.braze.eu).");
            }
            else if (CheckEndpoint(endpoint, options.AllowLoopbackHttp) is { } problem)
            {
                failures.Add($"{prefix}RestEndpoint {problem}");
            }

            if (string.IsNullOrEmpty(key))
            {
                failures.Add($"{prefix}ApiKey is required for workspace '{workspace}' (the REST API key, a Key Vault reference in Azure).");
            }

            if (entry is { MaxUsersTrackObjects: < 1 or > 1_000 })
            {
                failures.Add($"Braze:Workspaces:{workspace}:MaxUsersTrackObjects must be between 1 and 1000.");
            }

            if (entry is { RateLimitShare: < 0.01 or > 1.0 })
            {
                failures.Add($"Braze:Workspaces:{workspace}:RateLimitShare must be between 0.01 and 1.");
            }

            if (BrazeWorkspaces.CapShapeOf(entry?.UsersTrackCapShape) is null)
            {
                failures.Add($"Braze:Workspaces:{workspace}:UsersTrackCapShape must be 'combined' (the cap in total) or 'per-array' (legacy contracts: the cap per array), not '{entry!.UsersTrackCapShape}'.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string? CheckEndpoint(Uri endpoint, bool allowLoopbackHttp)
    {
        if (!endpoint.IsAbsoluteUri)
        {
            return $"'{endpoint}' is not an absolute URL.";
        }

        if (!string.IsNullOrEmpty(endpoint.UserInfo) || endpoint.AbsolutePath != "/" || !string.IsNullOrEmpty(endpoint.Query))
        {
            return $"must be a bare host URL such as https://rest.fra-01.braze.eu, without path, query or credentials (got '{endpoint.GetLeftPart(UriPartial.Authority)}...').";
        }

        if (allowLoopbackHttp && endpoint.IsLoopback && (endpoint.Scheme == Uri.UriSchemeHttp || endpoint.Scheme == Uri.UriSchemeHttps))
        {
            return null;
        }

        if (endpoint.Scheme != Uri.UriSchemeHttps || !endpoint.IsDefaultPort)
        {
            return $"must use https on the default port (got '{endpoint.GetLeftPart(UriPartial.Authority)}'); Braze:AllowLoopbackHttp=true permits http://127.0.0.1 for development only.";
        }

        return DocumentedHosts.Contains(endpoint.Host)
            ? null
            : $"host '{endpoint.Host}' is not one of Braze's documented REST hosts ({string.Join(", ", DocumentedHosts.Order(StringComparer.Ordinal))}).";
    }
}
