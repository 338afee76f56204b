namespace BrazeFunctions.Core.Braze;

/// <summary>How a call to Braze ended, from the relay's point of view.</summary>
internal enum BrazeOutcomeKind
{
    /// <summary>2xx: Braze accepted the request (possibly with partial errors).</summary>
    Success,

    /// <summary>429: hold off until the reset.</summary>
    RateLimited,

    /// <summary>408, 5xx, a timeout or a connection failure: worth retrying.</summary>
    Transient,

    /// <summary>Any other answer (400, 401, 403, 404, 413, 3xx...): retrying cannot help.</summary>
    Permanent,
}

/// <summary>One item of Braze's <c>errors</c> array on a 2xx answer: data Braze skipped while processing the rest.</summary>
internal sealed record BrazePartialError(string Type, string? InputArray, int? Index);

/// <summary>
/// The answer to one request (or the transport failure instead of an answer). <see cref="Message"/> is Braze's own
/// <c>message</c> text, cut to a safe length; the request body and the API key are never part of this record.
/// </summary>
internal sealed record BrazeResponse(
    string Endpoint,
    int StatusCode,
    BrazeOutcomeKind Kind,
    RateLimitInfo RateLimit,
    string? Message,
    IReadOnlyList<BrazePartialError> PartialErrors,
    TimeSpan Duration,
    string? TransportError)
{
    /// <summary>A status-less transport failure: "timeout" or "connection".</summary>
    public bool IsTransportFailure => TransportError is not null;

    /// <summary>
    /// True when the failure proves Braze never received the request (name resolution, connection refused, TLS), so
    /// nothing was applied. A timeout or a connection reset after the request was written proves nothing.
    /// </summary>
    public bool RequestNotSent { get; init; }

    /// <summary>When the request left, on the relay's clock.</summary>
    public DateTimeOffset SentAt { get; init; }

    /// <summary>When the answer (or the failure) arrived, on the relay's clock.</summary>
    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>
    /// True when Braze may or may not have applied the request: a timeout or a reset after the request was written, and
    /// every 5xx but 503 (500, 502, 504...: an error behind Braze's front door, after the work may have started). 503,
    /// 408, 429 and every other 4xx prove nothing was applied.
    /// </summary>
    public bool IsAmbiguous => TransportError is not null ? !RequestNotSent : StatusCode is >= 500 and not 503;

    /// <summary>The transport failure, or <c>HTTP &lt;status&gt;</c>: how logs and dead-letter details name an answer.</summary>
    public override string ToString() =>
        TransportError ?? "HTTP " + StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static BrazeOutcomeKind Classify(int statusCode) => statusCode switch
    {
        >= 200 and < 300 => BrazeOutcomeKind.Success,
        429 => BrazeOutcomeKind.RateLimited,
        408 or >= 500 => BrazeOutcomeKind.Transient,
        _ => BrazeOutcomeKind.Permanent,
    };
}
