using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BrazeFunctions.Core.Diagnostics;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Braze;

/// <summary>
/// The typed HTTP client for Braze's REST API: one POST per call to one workspace (its host, its key), no retries of its
/// own (the delivery engine decides), every answer or failure returned as a <see cref="BrazeResponse"/> instead of an
/// exception.
/// </summary>
internal sealed class BrazeClient
{
    internal const int MaxMessageLength = 500;
    private const int MaxResponseBytes = 256 * 1024;

    /// <summary>The named client of IHttpClientFactory: handler settings and no request logging (see DI registration).</summary>
    public const string HttpClientName = "braze";

    private readonly IHttpClientFactory _httpClients;
    private readonly TimeProvider _time;
    private readonly RelayMetrics _metrics;
    private readonly ILogger<BrazeClient> _logger;

    public BrazeClient(IHttpClientFactory httpClients, TimeProvider time, RelayMetrics metrics, ILogger<BrazeClient> logger)
    {
        _httpClients = httpClients;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Posts <paramref name="bodyJson"/> to an allow-listed <paramref name="endpoint"/> of <paramref name="workspace"/>.</summary>
    /// <exception cref="ArgumentException">The endpoint is not on the allow-list.</exception>
    public async Task<BrazeResponse> SendAsync(BrazeWorkspace workspace, string endpoint, string bodyJson, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(bodyJson);
        if (endpoint is null || !BrazeEndpoints.IsAllowed(endpoint))
        {
            throw new ArgumentException($"Endpoint '{endpoint}' is not an allow-listed Braze REST path.", nameof(endpoint));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(workspace.RestEndpoint, endpoint.TrimStart('/')))
        {
            Content = new StringContent(bodyJson, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", workspace.ApiKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        var started = _time.GetTimestamp();
        var sentAt = _time.GetUtcNow();
        HttpResponseMessage response;
        try
        {
            // A client per request from the factory: handlers are pooled and rotated by the factory, not held here.
            var http = _httpClients.CreateClient(HttpClientName);
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Failure(workspace, endpoint, "timeout", requestNotSent: false, started, sentAt);
        }
        catch (HttpRequestException ex)
        {
            // The exception text can carry the host name but never the headers; only its category is kept.
            return Failure(workspace, endpoint, TransportError(ex.HttpRequestError), NeverReachedBraze(ex.HttpRequestError), started, sentAt);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var received = _time.GetUtcNow();
            var rateLimit = RateLimitInfo.Parse(response.Headers, received);
            string? message = null;
            IReadOnlyList<BrazePartialError> errors = [];
            try
            {
                (message, errors) = await ReadBodyAsync(response, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // The status line arrived but the body did not: the status still decides; only the detail is lost.
                message = "(response body could not be read)";
            }

            var elapsed = _time.GetElapsedTime(started);
            var kind = BrazeResponse.Classify(status);
            _metrics.BrazeRequest(workspace.Name, endpoint, status.ToString(System.Globalization.CultureInfo.InvariantCulture), elapsed);
            if (kind == BrazeOutcomeKind.RateLimited)
            {
                _metrics.RateLimited(workspace.Name, endpoint);
            }

            Log.BrazeAnswered(_logger, workspace.Name, endpoint, status, elapsed.TotalMilliseconds, rateLimit.Remaining, rateLimit.ResetValue);
            return new BrazeResponse(endpoint, status, kind, rateLimit, message, errors, elapsed, null) { SentAt = sentAt, ReceivedAt = received };
        }
    }

    /// <summary>Failures that prove the request never reached Braze, so nothing can have been applied.</summary>
    internal static bool NeverReachedBraze(HttpRequestError error) =>
        error is HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError;

    private BrazeResponse Failure(BrazeWorkspace workspace, string endpoint, string error, bool requestNotSent, long started, DateTimeOffset sentAt)
    {
        var elapsed = _time.GetElapsedTime(started);
        _metrics.BrazeRequest(workspace.Name, endpoint, error, elapsed);
        Log.BrazeTransportFailed(_logger, workspace.Name, endpoint, error, elapsed.TotalMilliseconds);
        return new BrazeResponse(endpoint, 0, BrazeOutcomeKind.Transient, RateLimitInfo.None, null, [], elapsed, error)
        {
            RequestNotSent = requestNotSent,
            SentAt = sentAt,
            ReceivedAt = _time.GetUtcNow(),
        };
    }

    private static async Task<(string? Message, IReadOnlyList<BrazePartialError> Errors)> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength is > MaxResponseBytes)
        {
            return ("(response body too large to read)", []);
        }

        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (bytes.Length == 0 || bytes.Length > MaxResponseBytes)
        {
            return (null, []);
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, []);
            }

            var message = root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? Cut(m.GetString()) : null;
            var errors = new List<BrazePartialError>();
            if (root.TryGetProperty("errors", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in list.EnumerateArray().Take(100))
                {
                    errors.Add(item.ValueKind == JsonValueKind.Object
                        ? new BrazePartialError(
                            Cut(item.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null) ?? "unknown",
                            item.TryGetProperty("input_array", out var a) && a.ValueKind == JsonValueKind.String ? Cut(a.GetString()) : null,
                            item.TryGetProperty("index", out var i) && i.TryGetInt32(out var index) ? index : null)
                        : new BrazePartialError(Cut(item.ToString()) ?? "unknown", null, null));
                }
            }

            return (message, errors);
        }
        catch (JsonException)
        {
            // Not JSON (a gateway's HTML error page): keep a short, single-line excerpt for the operator.
            var text = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, MaxMessageLength));
            return (Cut(string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))), []);
        }
    }

    /// <summary>A low-cardinality name for the metric's status tag: <c>connection_error</c>, <c>response_ended</c>...</summary>
    internal static string TransportError(HttpRequestError error) => error switch
    {
        HttpRequestError.Unknown => "connection_failed",
        _ => string.Concat(error.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString())),
    };

    private static string? Cut(string? text) =>
        text is null ? null : text.Length <= MaxMessageLength ? text : text[..MaxMessageLength] + "...";
}
