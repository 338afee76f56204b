using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace BrazeFunctions.Core.Ingress;

/// <summary>Why a webhook body is refused: the HTTP status the ingress answers, its error code and a message naming the problem.</summary>
public sealed record WebhookBodyProblem(int Status, string Error, string Message)
{
    /// <summary>Extra fields of the ingress's answer (the duplicate key's path, line and byte, ...).</summary>
    internal JsonObject? Extra { get; init; }
}

/// <summary>A body that passed: its text and its length in UTF-8 (what the queue carries).</summary>
public sealed record WebhookBody(string Text, int Utf8Bytes);

/// <summary>
/// The checks on a webhook's body, in the order a caller can fix them: size, encoding, not empty, one strict JSON object
/// (no duplicate key, no lone surrogate, line and byte of a syntax error). The ingress runs them on every request, and
/// the CLI's <c>render</c> on the payload it is given, so a payload that renders there is one the ingress accepts.
/// </summary>
public static class WebhookBodyCheck
{
    /// <summary>Deepest nesting accepted, objects and arrays together.</summary>
    public const int MaxJsonDepth = 64;

    /// <summary>Checks <paramref name="body"/> against the size limit and the JSON rules.</summary>
    /// <param name="body">The bytes as received.</param>
    /// <param name="encoding">The charset the Content-Type declared; null for UTF-8.</param>
    /// <param name="maxBytes">The largest body accepted (<c>Ingress__MaxBodyBytes</c>).</param>
    /// <param name="accepted">The body as text, when it passed.</param>
    /// <returns>Null when it passed, else the problem.</returns>
    public static WebhookBodyProblem? Check(ReadOnlyMemory<byte> body, Encoding? encoding, int maxBytes, out WebhookBody? accepted)
    {
        accepted = null;
        if (body.Length > maxBytes)
        {
            return TooLarge(maxBytes);
        }

        if (!RequestBodyText.TryDecode(body, encoding, out var decoded, out var encodingProblem))
        {
            return new WebhookBodyProblem(StatusCodes.Status400BadRequest, "invalid_encoding", encodingProblem);
        }

        if (decoded.Text.AsSpan().Trim(" \t\r\n").IsEmpty)
        {
            return new WebhookBodyProblem(StatusCodes.Status400BadRequest, "empty_body", "The request body is empty; send the webhook payload as a JSON object.");
        }

        if (StrictJson.Check(decoded.Utf8.Span, MaxJsonDepth) is { } json)
        {
            return new WebhookBodyProblem(StatusCodes.Status400BadRequest, json.Error, json.Message) { Extra = json.Extra };
        }

        accepted = new WebhookBody(decoded.Text, decoded.Utf8.Length);
        return null;
    }

    /// <summary>The largest body the ingress accepts with these settings (<c>Ingress__MaxBodyBytes</c>, else its default).</summary>
    public static int MaxBodyBytes(IConfiguration settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return (settings.GetSection(IngressOptions.Section).Get<IngressOptions>() ?? new IngressOptions()).MaxBodyBytes;
    }

    /// <summary>The answer to a body larger than <paramref name="maxBytes"/>, also when its Content-Length says so before it is read.</summary>
    public static WebhookBodyProblem TooLarge(int maxBytes) =>
        new WebhookBodyProblem(StatusCodes.Status413PayloadTooLarge, "payload_too_large", $"The request body is larger than {maxBytes} bytes, the most the relay accepts (Ingress__MaxBodyBytes).");
}
