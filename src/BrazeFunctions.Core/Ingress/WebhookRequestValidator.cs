using BrazeFunctions.Core.Http;
using BrazeFunctions.Core.Templates;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Ingress;

/// <summary>A webhook that passed every check and is ready to be wrapped in an envelope.</summary>
internal sealed record ValidatedWebhook(string Route, string PayloadJson, int PayloadBytes, string? TraceParent, string? IdempotencyKey);

/// <summary>
/// Every rule a webhook must pass before it is queued, in the order a caller can fix them: secret, route, media type,
/// size, JSON shape, headers. Each failure is an <see cref="JsonReply"/> whose message names the problem.
/// </summary>
internal sealed partial class WebhookRequestValidator(IRouteCatalog routes, IOptions<IngressOptions> options, IngressSecretMetrics secretMetrics)
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const int MaxIdempotencyKeyLength = 200;

    private const int MaxJsonDepth = 64;

    public async Task<(ValidatedWebhook? Webhook, JsonReply? Rejection)> ValidateAsync(string route, HttpRequest request, CancellationToken cancellationToken)
    {
        var settings = options.Value;

        var secret = MatchSecret(request, settings);
        secretMetrics.Matched(secret);
        if (secret == SecretMatch.None)
        {
            return Reject(StatusCodes.Status401Unauthorized, "invalid_secret",
                $"The '{settings.SecretHeader}' header is missing or matches no configured shared secret.");
        }

        if (!routes.TryResolve(route, out var canonicalRoute))
        {
            return Reject(StatusCodes.Status404NotFound, "unknown_route",
                $"Route '{Truncate(route, 64)}' is not known. Known routes: {(routes.Routes.Count == 0 ? "(none)" : string.Join(", ", routes.Routes))}.",
                new JsonObject { ["knownRoutes"] = new JsonArray([.. routes.Routes.Select(r => JsonValue.Create(r))]) });
        }

        if (!RequestBodyText.TryGetBodyEncoding(request.ContentType, out var encoding, out var mediaTypeProblem))
        {
            return Reject(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", mediaTypeProblem);
        }

        if (request.ContentLength > settings.MaxBodyBytes)
        {
            return TooLarge(settings.MaxBodyBytes);
        }

        var (body, length) = await ReadBodyAsync(request.Body, settings.MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (length > settings.MaxBodyBytes)
        {
            return TooLarge(settings.MaxBodyBytes);
        }

        if (!RequestBodyText.TryDecode(body.AsMemory(0, length), encoding, out var decoded, out var encodingProblem))
        {
            return Reject(StatusCodes.Status400BadRequest, "invalid_encoding", encodingProblem);
        }

        if (decoded.Text.AsSpan().Trim(" \t\r\n").IsEmpty)
        {
            return Reject(StatusCodes.Status400BadRequest, "empty_body", "The request body is empty; send the webhook payload as a JSON object.");
        }

        if (StrictJson.Check(decoded.Utf8.Span, MaxJsonDepth) is { } jsonProblem)
        {
            return Reject(StatusCodes.Status400BadRequest, jsonProblem.Error, jsonProblem.Message, jsonProblem.Extra);
        }

        var idempotencyKey = request.Headers[IdempotencyKeyHeader].ToString();
        if (idempotencyKey.Length > MaxIdempotencyKeyLength || !PrintableAscii().IsMatch(idempotencyKey))
        {
            return Reject(StatusCodes.Status400BadRequest, "invalid_idempotency_key",
                $"The '{IdempotencyKeyHeader}' header must be printable ASCII of at most {MaxIdempotencyKeyLength} characters.");
        }

        var traceParent = request.Headers["traceparent"].ToString();
        return (new ValidatedWebhook(
            canonicalRoute,
            decoded.Text,
            decoded.Utf8.Length,
            TraceParentFormat().IsMatch(traceParent) ? traceParent : null,
            idempotencyKey.Length == 0 ? null : idempotencyKey), null);
    }

    private static (ValidatedWebhook?, JsonReply?) Reject(int status, string error, string message, JsonObject? extra = null) =>
        (null, JsonReply.Problem(status, error, message, extra));

    private static (ValidatedWebhook?, JsonReply?) TooLarge(int max) =>
        Reject(StatusCodes.Status413PayloadTooLarge, "payload_too_large",
            $"The request body is larger than {max} bytes, the most the relay accepts (Ingress__MaxBodyBytes).");

    /// <summary>
    /// During a rotation both the current and the next secret are accepted, so Braze can switch to the new value before the
    /// old one is removed. A secret is required as soon as either setting is set: a "next only" configuration never opens
    /// the ingress.
    /// </summary>
    internal static SecretMatch MatchSecret(HttpRequest request, IngressOptions settings)
    {
        if (string.IsNullOrEmpty(settings.SharedSecret) && string.IsNullOrEmpty(settings.NextSharedSecret))
        {
            return SecretMatch.NotRequired;
        }

        var provided = request.Headers[settings.SecretHeader].ToString();
        // Hashing first gives equal-length inputs, so neither the content nor the length of a secret leaks through timing;
        // both comparisons always run, so neither does which of the two matched.
        var providedHash = SHA256.HashData(Encoding.UTF8.GetBytes(provided));
        var isCurrent = Matches(settings.SharedSecret, providedHash);
        var isNext = Matches(settings.NextSharedSecret, providedHash);
        return provided.Length == 0 ? SecretMatch.None
            : isCurrent ? SecretMatch.Current
            : isNext ? SecretMatch.Next
            : SecretMatch.None;
    }

    private static bool Matches(string? secret, byte[] providedHash) =>
        !string.IsNullOrEmpty(secret)
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(secret)), providedHash);

    /// <summary>Reads at most <paramref name="max"/> + 1 bytes: one byte past the limit is enough to know it is too large.</summary>
    private static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(Stream body, int max, CancellationToken cancellationToken)
    {
        var buffer = new byte[Math.Min(max + 1, 16 * 1024)];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (buffer.Length > max)
                {
                    return (buffer, length);
                }

                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, max + 1));
            }

            var read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return (buffer, length);
            }

            length += read;
        }
    }

    internal static string Truncate(string value, int length) => value.Length <= length ? value : value[..length] + "…";

    [GeneratedRegex("^[\\x20-\\x7E]*$")]
    private static partial Regex PrintableAscii();

    [GeneratedRegex("^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")]
    private static partial Regex TraceParentFormat();
}
