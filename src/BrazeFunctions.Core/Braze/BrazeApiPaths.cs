namespace BrazeFunctions.Core.Braze;

/// <summary>
/// The REST paths the client will call, and which rate-limit family each belongs to. Anything else is refused before a
/// request is built, so a template can never turn the relay into a proxy to another path or host.
/// </summary>
internal static class BrazeApiPaths
{
    public const string UsersTrack = BrazeEndpoints.UsersTrack;

    /// <summary>/users/track has its own burst limit; every other endpoint shares the workspace's hourly limit.</summary>
    public const string UsersTrackFamily = "users-track";

    public const string SharedFamily = "rest-shared";

    /// <summary>The template catalog's allow-list: the client calls nothing a template could not target.</summary>
    public static IReadOnlySet<string> Allowed => BrazeEndpoints.Allowed;

    public static bool IsAllowed(string endpoint) => Allowed.Contains(endpoint);

    public static string FamilyOf(string endpoint) =>
        string.Equals(endpoint, UsersTrack, StringComparison.Ordinal) ? UsersTrackFamily : SharedFamily;
}
