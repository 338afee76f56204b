using System.Globalization;

namespace BrazeFunctions.Core.Messages;

/// <summary>
/// The reason codes of dead letters: <see cref="DeadLetterReason.Code"/>, the <c>reason</c> tag of
/// <c>relay.deliveries.dead_lettered</c>, and what operators filter <c>deadletter</c> commands by.
/// </summary>
internal static class DeadLetterCodes
{
    /// <summary>Braze may or may not have applied the request, and the template's policy does not allow a resend.</summary>
    public const string AmbiguousOutcome = "ambiguous_outcome";

    /// <summary>Earlier runs of the message never finished (crash, out-of-memory, timeout).</summary>
    public const string CrashLoop = "crash_loop";

    /// <summary>The template failed to render, or rendered an invalid request.</summary>
    public const string TemplateError = "template_error";

    /// <summary>The template targets a path outside the allow-list.</summary>
    public const string EndpointNotAllowed = "endpoint_not_allowed";

    /// <summary>The template names a workspace that is not configured.</summary>
    public const string WorkspaceNotConfigured = "workspace_not_configured";

    /// <summary>Braze accepted the request but refused every object of this message.</summary>
    public const string ObjectsRefused = "objects_refused";

    /// <summary>The retry schedule ran out.</summary>
    public const string RetriesExhausted = "retries_exhausted";

    /// <summary>Still waiting (rate limit, store, claim) past <c>Dispatch:MaxMessageAge</c>.</summary>
    public const string Expired = "expired";

    /// <summary>Still waiting for a credential Braze refuses past <c>Dispatch:MaxMessageAge</c>.</summary>
    public const string CredentialRejected = "credential_rejected";

    /// <summary>Moved to the poison queue by the Functions host after its own dequeue limit, with no reason (rewritten by the sweep).</summary>
    public const string HostPoison = "host_poison";

    /// <summary>The queue message is not a readable envelope.</summary>
    public const string InvalidEnvelope = "invalid_envelope";

    /// <summary>The envelope names a body blob (the claim-check) that does not exist.</summary>
    public const string PayloadMissing = "payload_missing";

    /// <summary>Braze refused the request with this status (<c>http_400</c>...).</summary>
    public static string Http(int status) => "http_" + status.ToString(CultureInfo.InvariantCulture);
}
