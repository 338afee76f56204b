using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BrazeFunctions.Core.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Braze;

/// <summary>
/// The typed HTTP client for Braze's REST API: one POST per call, no retries of its own (the dispatcher decides), every
/// answer or failure returned as a <see cref="BrazeResponse"/> instead of an exception.
/// </summary>
public sealed class BrazeClient
{
    internal const int MaxMessageLength = 500;
    private const int MaxResponseBytes = 256 * 1024;

    private readonly HttpClient _http;
    private readonly IOptions<BrazeOptions> _options;
    private readonly TimeProvider _time;
    private readonly RelayMetrics _metrics;
    private readonly ILogger<BrazeClient> _logger;

    public BrazeClient(HttpClient http, IOptions<BrazeOptions> options, TimeProvider time, RelayMetrics metrics, ILogger<BrazeClient> logger)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _options = options;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _http.BaseAddress = options.Value.RestEndpoint;
        _http.Timeout = options.Value.RequestTimeout;
    }

    /// <summary>Posts <paramref name="bodyJson"/> to an allow-listed <paramref name="endpoint"/>.</summary>
    /// <exception cref="ArgumentException">The endpoint is not on the allow-list.</exception>
    public async Task<BrazeResponse> SendAsync(string endpoint, string bodyJson, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bodyJson);
        if (endpoint is null || !BrazeApiPaths.IsAllowed(endpoint))
        {
            throw new ArgumentException($"Endpoint '{endpoint}' is not an allow-listed Braze REST path.", nameof(endpoint));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint.TrimStart('/'), UriKind.Relative))
        {
            Content = new StringContent(bodyJson, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.Value.ApiKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        var started = _time.GetTimestamp();
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Failure(endpoint, "timeout", started);
        }
        catch (HttpRequestException ex)
        {
            // The exception text can carry the host name but never the headers; only its category is kept.
            return Failure(endpoint, TransportError(ex.HttpRequestError), started);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var rateLimit = RateLimitInfo.Parse(response.Headers, _time.GetUtcNow());
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
            _metrics.BrazeRequest(endpoint, status.ToString(System.Globalization.CultureInfo.InvariantCulture), elapsed);
            if (kind == BrazeOutcomeKind.RateLimited)
            {
                _metrics.RateLimited(endpoint);
            }

            Log.BrazeAnswered(_logger, endpoint, status, elapsed.TotalMilliseconds, rateLimit.Remaining, rateLimit.Reset);
            return new BrazeResponse(endpoint, status, kind, rateLimit, message, errors, elapsed, null);
        }
    }

    private BrazeResponse Failure(string endpoint, string error, long started)
    {
        var elapsed = _time.GetElapsedTime(started);
        _metrics.BrazeRequest(endpoint, error, elapsed);
        Log.BrazeTransportFailed(_logger, endpoint, error, elapsed.TotalMilliseconds);
        return new BrazeResponse(endpoint, 0, BrazeOutcomeKind.Transient, RateLimitInfo.None, null, [], elapsed, error);
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
