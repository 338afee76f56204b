using BrazeFunctions.Core.Braze;

namespace BrazeFunctions.Core.Pacing;

/// <summary>One rate-limit budget: a workspace and a family of endpoints (Braze counts /users/track apart from the rest).</summary>
internal readonly record struct PaceKey(string Workspace, string Family)
{
    public static PaceKey For(string workspace, string endpoint) => new(workspace, BrazeApiPaths.FamilyOf(endpoint));

    public override string ToString() => $"{Workspace}/{Family}";
}
