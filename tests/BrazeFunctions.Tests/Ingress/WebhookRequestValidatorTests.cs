using System.Text;
using BrazeFunctions.Core.Ingress;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Tests.Ingress;

public sealed class WebhookRequestValidatorTests
{
    private const string Route = "attribute-from-event";

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON; charset=\"UTF-8\"")]
    [InlineData("application/vnd.braze.webhook+json")]
    [InlineData("text/plain")]
    [InlineData("text/plain; charset=us-ascii")]
    public async Task ValidateAsync_AcceptedContentTypes_PassWhenTheBodyParses(string? contentType)
    {
        var (webhook, rejection) = await ValidateAsync(Request("{\"user_id\":\"u1\"}", contentType));

        Assert.Null(rejection);
        Assert.NotNull(webhook);
        Assert.Equal("{\"user_id\":\"u1\"}", webhook.PayloadJson);
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=abc")]
    [InlineData("application/xml")]
    [InlineData("not a media type")]
    [InlineData("application/json; charset=klingon")]
    public async Task ValidateAsync_OtherContentTypes_Are415(string contentType)
    {
        var (_, rejection) = await ValidateAsync(Request("{}", contentType));

        Assert.Equal(StatusCodes.Status415UnsupportedMediaType, rejection?.StatusCode);
        Assert.Equal("unsupported_media_type", rejection?.Error);
        Assert.Contains("application/json", Message(rejection), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_Latin1Charset_IsTranscodedToUtf8()
    {
        var body = Encoding.Latin1.GetBytes("{\"name\":\"Zoë\"}");

        var (webhook, rejection) = await ValidateAsync(Request(body, "application/json; charset=iso-8859-1"));

        Assert.Null(rejection);
        Assert.Equal("{\"name\":\"Zoë\"}", webhook?.PayloadJson);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \r\n ")]
    public async Task ValidateAsync_EmptyBody_Is400(string body)
    {
        var (_, rejection) = await ValidateAsync(Request(body));

        Assert.Equal(StatusCodes.Status400BadRequest, rejection?.StatusCode);
        Assert.Equal("empty_body", rejection?.Error);
    }

    [Theory]
    [InlineData("[1,2,3]", "array")]
    [InlineData("\"text\"", "string")]
    [InlineData("42", "number")]
    [InlineData("null", "null")]
    public async Task ValidateAsync_JsonThatIsNotAnObject_Is400NamingWhatItIs(string body, string kind)
    {
        var (_, rejection) = await ValidateAsync(Request(body));

        Assert.Equal(StatusCodes.Status400BadRequest, rejection?.StatusCode);
        Assert.Equal("not_an_object", rejection?.Error);
        Assert.Contains(kind, Message(rejection), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"a\": }", "line 1, byte 7")]
    [InlineData("{\n  \"a\": 1,\n  \"b\" 2\n}", "line 3, byte 7")]
    [InlineData("{\"a\": 1} trailing", "line 1, byte 10")]
    [InlineData("{'a': 1}", "line 1, byte 2")]
    public async Task ValidateAsync_MalformedJson_Is400WithTheParserPosition(string body, string position)
    {
        var (_, rejection) = await ValidateAsync(Request(body));

        Assert.Equal(StatusCodes.Status400BadRequest, rejection?.StatusCode);
        Assert.Equal("invalid_json", rejection?.Error);
        Assert.Contains(position, Message(rejection), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_InvalidUtf8_Is400()
    {
        var (_, rejection) = await ValidateAsync(Request([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}']));

        Assert.Equal(StatusCodes.Status400BadRequest, rejection?.StatusCode);
        Assert.Equal("invalid_encoding", rejection?.Error);
    }

    [Fact]
    public async Task ValidateAsync_Utf8Bom_IsIgnored()
    {
        var body = Encoding.UTF8.Preamble.ToArray().Concat(Encoding.UTF8.GetBytes("{\"a\":1}")).ToArray();

        var (webhook, rejection) = await ValidateAsync(Request(body));

        Assert.Null(rejection);
        Assert.Equal("{\"a\":1}", webhook?.PayloadJson);
    }

    [Fact]
    public async Task ValidateAsync_BodyOverTheLimit_Is413EvenWithoutContentLength()
    {
        var body = "{\"a\":\"" + new string('x', 200) + "\"}";
        var request = Request(body);
        request.ContentLength = null;

        var (_, rejection) = await ValidateAsync(request, new IngressOptions { MaxBodyBytes = 100 });

        Assert.Equal(StatusCodes.Status413PayloadTooLarge, rejection?.StatusCode);
        Assert.Contains("100 bytes", Message(rejection), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_ContentLengthOverTheLimit_Is413BeforeReading()
    {
        var request = Request("{}");
        request.ContentLength = 10_000;

        var (_, rejection) = await ValidateAsync(request, new IngressOptions { MaxBodyBytes = 100 });

        Assert.Equal(StatusCodes.Status413PayloadTooLarge, rejection?.StatusCode);
    }

    [Fact]
    public async Task ValidateAsync_BodyExactlyAtTheLimit_Passes()
    {
        var body = "{\"a\":\"" + new string('x', 92) + "\"}";
        Assert.Equal(100, Encoding.UTF8.GetByteCount(body));

        var (_, rejection) = await ValidateAsync(Request(body), new IngressOptions { MaxBodyBytes = 100 });

        Assert.Null(rejection);
    }

    [Fact]
    public async Task ValidateAsync_UnknownRoute_Is404ListingTheKnownRoutes()
    {
        var (_, rejection) = await ValidateAsync(Request("{}"), route: "nope");

        Assert.Equal(StatusCodes.Status404NotFound, rejection?.StatusCode);
        Assert.Contains("attribute-from-event, trigger-canvas", Message(rejection), StringComparison.Ordinal);
        Assert.Equal(2, rejection?.Body["knownRoutes"]?.AsArray().Count);
    }

    [Fact]
    public async Task ValidateAsync_RouteInOtherCase_ResolvesToTheCatalogSpelling()
    {
        var (webhook, _) = await ValidateAsync(Request("{}"), route: "Trigger-Canvas");

        Assert.Equal("trigger-canvas", webhook?.Route);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("wrong")]
    [InlineData("the-shared-secret ")]
    public async Task ValidateAsync_SecretConfiguredAndHeaderMissingOrWrong_Is401WithoutEchoingIt(string? provided)
    {
        var request = Request("{}");
        if (provided is not null)
        {
            request.Headers["X-Relay-Secret"] = provided;
        }

        var (_, rejection) = await ValidateAsync(request, new IngressOptions { SharedSecret = "the-shared-secret" });

        Assert.Equal(StatusCodes.Status401Unauthorized, rejection?.StatusCode);
        Assert.DoesNotContain("the-shared-secret", rejection!.Body.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_SecretInACustomHeader_Passes()
    {
        var request = Request("{}");
        request.Headers["X-Braze-Relay"] = "the-shared-secret";

        var (_, rejection) = await ValidateAsync(request, new IngressOptions { SharedSecret = "the-shared-secret", SecretHeader = "X-Braze-Relay" });

        Assert.Null(rejection);
    }

    [Fact]
    public async Task ValidateAsync_SecretChecked_BeforeAnythingElseIsRevealed()
    {
        var (_, rejection) = await ValidateAsync(Request("{}"), new IngressOptions { SharedSecret = "x" }, route: "nope");

        Assert.Equal(StatusCodes.Status401Unauthorized, rejection?.StatusCode);
    }

    [Fact]
    public async Task ValidateAsync_IdempotencyKeyAndTraceparent_AreCarried()
    {
        var request = Request("{}");
        request.Headers["Idempotency-Key"] = "campaign-1:user-2";
        request.Headers["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

        var (webhook, _) = await ValidateAsync(request);

        Assert.Equal("campaign-1:user-2", webhook?.IdempotencyKey);
        Assert.Equal("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", webhook?.TraceParent);
    }

    [Fact]
    public async Task ValidateAsync_MalformedTraceparent_IsIgnored()
    {
        var request = Request("{}");
        request.Headers["traceparent"] = "not-a-traceparent";

        var (webhook, rejection) = await ValidateAsync(request);

        Assert.Null(rejection);
        Assert.Null(webhook?.TraceParent);
    }

    [Theory]
    [InlineData("key\twith-tab")]
    [InlineData("clé")]
    public async Task ValidateAsync_IdempotencyKeyNotPrintableAscii_Is400(string key)
    {
        var request = Request("{}");
        request.Headers["Idempotency-Key"] = key;

        var (_, rejection) = await ValidateAsync(request);

        Assert.Equal("invalid_idempotency_key", rejection?.Error);
    }

    [Fact]
    public async Task ValidateAsync_IdempotencyKeyTooLong_Is400()
    {
        var request = Request("{}");
        request.Headers["Idempotency-Key"] = new string('k', WebhookRequestValidator.MaxIdempotencyKeyLength + 1);

        var (_, rejection) = await ValidateAsync(request);

        Assert.Equal(StatusCodes.Status400BadRequest, rejection?.StatusCode);
        Assert.Equal("invalid_idempotency_key", rejection?.Error);
    }

    private static Task<(ValidatedWebhook? Webhook, BrazeFunctions.Core.Http.JsonReply? Rejection)> ValidateAsync(
        HttpRequest request, IngressOptions? options = null, string route = Route)
    {
        var validator = new WebhookRequestValidator(new FixedRoutes("trigger-canvas", "attribute-from-event"), Options.Create(options ?? new IngressOptions()));
        return validator.ValidateAsync(route, request, CancellationToken.None);
    }

    private static HttpRequest Request(string body, string? contentType = "application/json") => Request(Encoding.UTF8.GetBytes(body), contentType);

    private static HttpRequest Request(byte[] body, string? contentType = "application/json")
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Post;
        context.Request.ContentType = contentType;
        context.Request.Body = new MemoryStream(body);
        context.Request.ContentLength = body.Length;
        return context.Request;
    }

    private static string Message(BrazeFunctions.Core.Http.JsonReply? reply) => reply?.Body["message"]?.GetValue<string>() ?? string.Empty;

    /// <summary>Stands in for the template catalog, which has its own tests; here only the route names matter.</summary>
    private sealed class FixedRoutes(params string[] routes) : IRouteCatalog
    {
        public IReadOnlyList<string> Routes { get; } = [.. routes.Order(StringComparer.Ordinal)];

        public bool TryResolve(string route, out string canonical)
        {
            canonical = Routes.FirstOrDefault(r => string.Equals(r, route, StringComparison.OrdinalIgnoreCase))!;
            return canonical is not null;
        }
    }
}
