using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BrazeFunctions.Core.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Braze;

/// <summary>
/// The typed HTTP client for Braze's REST API: one POST per call to one workspace (its host, its key), no retries of its
/// own (the delivery engine decides), every answer or failure returned as a <see cref="BrazeResponse"/> instead of an
/// exception. One <see cref="BrazeOptions.RequestTimeout"/> bounds the whole call, sending and reading the answer's body
/// alike, and the body is read only up to 256 KB: a proxy that stalls after its headers, or streams an endless body,
/// cannot hold the batch (its slot, its claims) past the timeout.
/// </summary>
internal sealed class BrazeClient
{
    internal const int MaxMessageLength = 500;
    internal const int MaxResponseBytes = 256 * 1024;
    internal const string TooLarge = "(response body too large to read)";
    internal const string BodyUnreadable = "(response body could not be read)";

    /// <summary>The named client of IHttpClientFactory: handler settings and no request logging (see DI registration).</summary>
    public const string HttpClientName = "braze";

    private readonly IHttpClientFactory _httpClients;
    private readonly IOptions<BrazeOptions> _options;
    private readonly TimeProvider _time;
    private readonly RelayMetrics _metrics;
    private readonly ILogger<BrazeClient> _logger;

    public BrazeClient(IHttpClientFactory httpClients, IOptions<BrazeOptions> options, TimeProvider time, RelayMetrics metrics, ILogger<BrazeClient> logger)
    {
        _httpClients = httpClients;
        _options = options;
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
        request.Options.Set(BrazeRequestOptions.Endpoint, endpoint);
        request.Options.Set(BrazeRequestOptions.Workspace, workspace.Name);

        var started = _time.GetTimestamp();
        var sentAt = _time.GetUtcNow();
        // One deadline for the whole call: HttpClient.Timeout ends at the headers, and a body that never ends would not.
        using var deadline = new CancellationTokenSource(_options.Value.RequestTimeout, _time);
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        HttpResponseMessage response;
        try
        {
            // A client per request from the factory: handlers are pooled and rotated by the factory, not held here.
            var http = _httpClients.CreateClient(HttpClientName);
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, call.Token).ConfigureAwait(false);
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
            return await ReadAnswerAsync(workspace, endpoint, response, started, sentAt, call.Token, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The status decides; the body adds Braze's message and partial errors when it can be read in time.</summary>
    private async Task<BrazeResponse> ReadAnswerAsync(
        BrazeWorkspace workspace, string endpoint, HttpResponseMessage response, long started, DateTimeOffset sentAt, CancellationToken call, CancellationToken caller)
    {
        var status = (int)response.StatusCode;
        var received = _time.GetUtcNow();
        var rateLimit = RateLimitInfo.Parse(response.Headers, received);
        string? message;
        IReadOnlyList<BrazePartialError> errors = [];
        try
        {
            (message, errors) = await ReadBodyAsync(response, call).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !caller.IsCancellationRequested))
        {
            // The status line arrived but the body did not (in time): the status still decides; only the detail is lost.
            message = BodyUnreadable;
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
        var bytes = await ReadLimitedAsync(response.Content, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return (TooLarge, []);
        }

        if (bytes.Length == 0)
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

    /// <summary>
    /// The body, read up to <see cref="MaxResponseBytes"/>; null when it is longer (announced or not: a chunked answer has no
    /// Content-Length). Reading stops at the first byte past the limit, and disposing the answer drops the rest.
    /// </summary>
    private static async Task<byte[]?> ReadLimitedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var announced = content.Headers.ContentLength;
        if (announced is > MaxResponseBytes)
        {
            return null;
        }

        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[(int)Math.Min((announced ?? 16 * 1024) + 1, MaxResponseBytes + 1)];
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > MaxResponseBytes)
                    {
                        return null;
                    }

                    Array.Resize(ref buffer, Math.Min(buffer.Length * 2, MaxResponseBytes + 1));
                }

                var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return buffer[..length];
                }

                length += read;
            }
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
