using BrazeFunctions.Core.Http;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace BrazeFunctions.Core.Ingress;

/// <summary>A webhook that passed every check and is ready to be wrapped in an envelope.</summary>
public sealed record ValidatedWebhook(string Route, string PayloadJson, int PayloadBytes, string? TraceParent, string? IdempotencyKey);

/// <summary>
/// Every rule a webhook must pass before it is queued, in the order a caller can fix them: secret, route, media type,
/// size, JSON shape, headers. Each failure is an <see cref="JsonReply"/> whose message names the problem.
/// </summary>
public sealed partial class WebhookRequestValidator(IRouteCatalog routes, IOptions<IngressOptions> options)
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const int MaxIdempotencyKeyLength = 200;

    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64 };
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public async Task<(ValidatedWebhook? Webhook, JsonReply? Rejection)> ValidateAsync(string route, HttpRequest request, CancellationToken cancellationToken)
    {
        var settings = options.Value;

        if (!HasValidSecret(request, settings))
        {
            return Reject(StatusCodes.Status401Unauthorized, "invalid_secret",
                $"The '{settings.SecretHeader}' header is missing or does not match the configured shared secret.");
        }

        if (!routes.TryResolve(route, out var canonicalRoute))
        {
            return Reject(StatusCodes.Status404NotFound, "unknown_route",
                $"Route '{Truncate(route, 64)}' is not known. Known routes: {(routes.Routes.Count == 0 ? "(none)" : string.Join(", ", routes.Routes))}.",
                new JsonObject { ["knownRoutes"] = new JsonArray([.. routes.Routes.Select(r => JsonValue.Create(r))]) });
        }

        if (!TryGetBodyEncoding(request.ContentType, out var encoding, out var mediaTypeProblem))
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

        var bytes = body.AsMemory(0, length);
        if (bytes.Span.StartsWith(Encoding.UTF8.Preamble))
        {
            bytes = bytes[Encoding.UTF8.Preamble.Length..];
        }

        if (bytes.Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            return Reject(StatusCodes.Status400BadRequest, "empty_body", "The request body is empty; send the webhook payload as a JSON object.");
        }

        string payloadJson;
        try
        {
            payloadJson = encoding is null ? StrictUtf8.GetString(bytes.Span) : encoding.GetString(bytes.Span);
        }
        catch (DecoderFallbackException)
        {
            return Reject(StatusCodes.Status400BadRequest, "invalid_encoding", "The request body is not valid UTF-8 text.");
        }

        if (encoding is not null)
        {
            // Another charset was declared: the queue carries UTF-8, so re-encode before parsing.
            bytes = Encoding.UTF8.GetBytes(payloadJson);
        }

        try
        {
            using var document = JsonDocument.Parse(bytes, ParseOptions);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Reject(StatusCodes.Status400BadRequest, "not_an_object",
                    $"The request body must be one JSON object; it is a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}.");
            }
        }
        catch (JsonException ex)
        {
            return Reject(StatusCodes.Status400BadRequest, "invalid_json",
                $"The request body is not valid JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}: {DescribeJsonError(ex)}");
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
            payloadJson,
            bytes.Length,
            TraceParentFormat().IsMatch(traceParent) ? traceParent : null,
            idempotencyKey.Length == 0 ? null : idempotencyKey), null);
    }

    private static (ValidatedWebhook?, JsonReply?) Reject(int status, string error, string message, JsonObject? extra = null) =>
        (null, JsonReply.Problem(status, error, message, extra));

    private static (ValidatedWebhook?, JsonReply?) TooLarge(int max) =>
        Reject(StatusCodes.Status413PayloadTooLarge, "payload_too_large",
            $"The request body is larger than {max} bytes, the most the relay accepts (a queue message holds 64 KiB).");

    private static bool HasValidSecret(HttpRequest request, IngressOptions settings)
    {
        if (string.IsNullOrEmpty(settings.SharedSecret))
        {
            return true;
        }

        var provided = request.Headers[settings.SecretHeader].ToString();
        // Hashing first gives equal-length inputs, so neither the content nor the length of the secret leaks through timing.
        var expectedHash = SHA256.HashData(Encoding.UTF8.GetBytes(settings.SharedSecret));
        var providedHash = SHA256.HashData(Encoding.UTF8.GetBytes(provided));
        return CryptographicOperations.FixedTimeEquals(expectedHash, providedHash) && provided.Length > 0;
    }

    /// <summary>
    /// Braze's "raw text" webhooks do not always say they are JSON, so JSON, +json, text/plain and no type are all
    /// accepted as long as the body parses; forms and multipart are not JSON and are refused.
    /// </summary>
    internal static bool TryGetBodyEncoding(string? contentType, out Encoding? encoding, out string problem)
    {
        encoding = null;
        problem = string.Empty;
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return true;
        }

        const string Accepted = "send application/json, a +json type or text/plain";
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType) || mediaType.MediaType.Value is not { } type)
        {
            problem = $"Content-Type '{Truncate(contentType, 100)}' cannot be parsed; {Accepted}.";
            return false;
        }

        var isJson = type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || type.Equals("text/json", StringComparison.OrdinalIgnoreCase)
            || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
            || type.Equals("text/plain", StringComparison.OrdinalIgnoreCase);
        if (!isJson)
        {
            problem = $"Content-Type '{Truncate(type, 100)}' is not accepted; {Accepted} with the payload as a JSON object.";
            return false;
        }

        var charset = mediaType.Charset.Value?.Trim('"');
        if (string.IsNullOrEmpty(charset)
            || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)
            || charset.Equals("us-ascii", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        try
        {
            encoding = Encoding.GetEncoding(charset, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
            return true;
        }
        catch (ArgumentException)
        {
            problem = $"Charset '{Truncate(charset, 40)}' is not supported; send application/json in UTF-8.";
            return false;
        }
    }

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

    // The parser's own message ends with its position, which the reply already gives in 1-based form.
    private static string DescribeJsonError(JsonException ex)
    {
        var message = ex.Message;
        var at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return Truncate(at > 0 ? message[..at] : message, 200);
    }

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length] + "…";

    [GeneratedRegex("^[\\x20-\\x7E]*$")]
    private static partial Regex PrintableAscii();

    [GeneratedRegex("^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")]
    private static partial Regex TraceParentFormat();
}
