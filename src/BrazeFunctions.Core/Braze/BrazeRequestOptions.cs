namespace BrazeFunctions.Core.Braze;

/// <summary>What every request to Braze carries for its HTTP dependency span, beside the URL and status.</summary>
public static class BrazeRequestOptions
{
    /// <summary>The allow-listed path a request goes to (span tag <c>braze.endpoint</c>).</summary>
    public static readonly HttpRequestOptionsKey<string> Endpoint = new("braze.endpoint");

    /// <summary>The workspace's name, never its key (span tag <c>braze.workspace</c>).</summary>
    public static readonly HttpRequestOptionsKey<string> Workspace = new("braze.workspace");
}
