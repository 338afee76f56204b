using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace BrazeFunctions.Core.Http;

/// <summary>
/// An HTTP answer of the relay: a status code and a small JSON body, written without MVC services so that the function class
/// can return it as is and tests can execute it on a <c>DefaultHttpContext</c>.
/// </summary>
public sealed class JsonReply : IActionResult
{
    private JsonReply(int statusCode, JsonObject body, int? retryAfterSeconds)
    {
        StatusCode = statusCode;
        Body = body;
        RetryAfterSeconds = retryAfterSeconds;
    }

    public int StatusCode { get; }

    public JsonObject Body { get; }

    public int? RetryAfterSeconds { get; }

    /// <summary>Short machine-readable reason, e.g. <c>invalid_json</c>; null on success.</summary>
    public string? Error => Body["error"]?.GetValue<string>();

    public const string IdempotentReplayedHeader = "Idempotent-Replayed";

    /// <summary>True on the answer to a repeated webhook: the original was queued earlier and nothing new was.</summary>
    public bool IdempotentReplayed { get; private init; }

    public static JsonReply Accepted(string id, string route) =>
        new(StatusCodes.Status202Accepted, new JsonObject { ["id"] = id, ["route"] = route }, null);

    /// <summary>202 for a webhook whose Idempotency-Key was already queued: the original message id, nothing queued.</summary>
    public static JsonReply Replayed(string id, string route) =>
        new(StatusCodes.Status202Accepted, new JsonObject { ["id"] = id, ["route"] = route }, null) { IdempotentReplayed = true };

    public static JsonReply Healthy(JsonObject body) => new(StatusCodes.Status200OK, body, null);

    public static JsonReply Problem(int statusCode, string error, string message, JsonObject? extra = null, int? retryAfterSeconds = null)
    {
        var body = new JsonObject { ["error"] = error, ["message"] = message };
        if (extra is not null)
        {
            foreach (var (key, value) in extra.ToList())
            {
                extra.Remove(key);
                body[key] = value;
            }
        }

        return new JsonReply(statusCode, body, retryAfterSeconds);
    }

    public async Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = "application/json; charset=utf-8";
        if (RetryAfterSeconds is { } seconds)
        {
            response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        if (IdempotentReplayed)
        {
            response.Headers[IdempotentReplayedHeader] = "true";
        }

        await response.WriteAsync(Body.ToJsonString(JsonSerializerOptions.Web), context.HttpContext.RequestAborted).ConfigureAwait(false);
    }
}
