using System.ComponentModel.DataAnnotations;

namespace BrazeFunctions.Core.Braze;

/// <summary>
/// How much one Braze request may carry (settings <c>Templates__MaxUsersTrackObjects</c> and
/// <c>Templates__MaxTriggerRecipients</c>): rendered requests are checked against it, and merged requests are capped by it.
/// </summary>
public sealed class BrazeRequestLimits
{
    /// <summary>Bound to the <c>Templates</c> section, beside the render limits: the setting names predate this class.</summary>
    public const string Section = "Templates";

    /// <summary>Objects allowed across <c>attributes</c>, <c>events</c> and <c>purchases</c> of one <c>/users/track</c> request.</summary>
    [Range(1, 1_000)]
    public int MaxUsersTrackObjects { get; set; } = 75;

    /// <summary>Braze's cap on the aliases of one <c>/users/identify</c> request and on the <c>external_id</c>s of one <c>/subscription/status/set</c> request.</summary>
    public const int MaxUsersPerListRequest = 50;

    /// <summary>Recipients allowed in one <c>/canvas/trigger/send</c> or <c>/campaigns/trigger/send</c> request.</summary>
    [Range(1, 1_000)]
    public int MaxTriggerRecipients { get; set; } = 50;
}
