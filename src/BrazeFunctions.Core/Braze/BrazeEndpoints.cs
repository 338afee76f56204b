namespace BrazeFunctions.Core.Braze;

/// <summary>The Braze REST paths a template may target.</summary>
internal static class BrazeEndpoints
{
    public const string UsersTrack = "/users/track";
    public const string CanvasTriggerSend = "/canvas/trigger/send";
    public const string CampaignsTriggerSend = "/campaigns/trigger/send";

    /// <summary>Allow-listed endpoints; anything else is rejected when the template is loaded.</summary>
    public static IReadOnlySet<string> Allowed { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        UsersTrack,
        CanvasTriggerSend,
        CampaignsTriggerSend,
        "/messages/send",
        "/users/alias/new",
        "/users/identify",
        "/users/merge",
        "/subscription/status/set",
        "/v2/subscription/status/set",
    };
}
