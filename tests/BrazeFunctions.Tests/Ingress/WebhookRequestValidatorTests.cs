using System.Diagnostics.Metrics;
using System.Text;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.Core.Templates;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
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

    [Theory]
    [InlineData("application/json; charset=utf-7", "utf-7")]
    [InlineData("application/json; charset=UNICODE-1-1-UTF-7", "UNICODE-1-1-UTF-7")]
    [InlineData("application/json; charset=windows-1252", "windows-1252")]
    [InlineData("text/plain; charset=\"ebcdic-cp-us\"", "ebcdic-cp-us")]
    public async Task ValidateAsync_UnsupportedCharset_Is415NamingTheCharset(string contentType, string charset)
    {
        var (_, rejection) = await ValidateAsync(Request("{}", contentType));

        Assert.Equal(StatusCodes.Status415UnsupportedMediaType, rejection?.StatusCode);
        Assert.Equal("unsupported_media_type", rejection?.Error);
        Assert.Contains($"Charset '{charset}' is not supported", Message(rejection), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"a\":1,\"a\":2}", "a", "$.a", "line 1, byte 8")]
    [InlineData("{\"x\":{\"user_id\":\"u\",\n \"user_id\":\"v\"}}", "user_id", "$.x.user_id", "line 2, byte 2")]
    [InlineData("{\"attributes\":[{\"id\":1},{\"id\":1,\"id\":2}]}", "id", "$.attributes[1].id", "line 1, byte 33")]
    [InlineData("{\"a\":[[1],[2,{\"k\":1,\"k\":1}]]}", "k", "$.a[1][1].k", "line 1, byte 21")]
    [InlineData("{\"a\":1,\"\\u0061\":2}", "a", "$.a", "line 1, byte 8")]
    [InlineData("{\"first name\":1,\"first name\":2}", "first name", "$['first name']", "line 1, byte 17")]
    public async Task ValidateAsync_DuplicateKeyAtAnyDepth_Is400NamingTheKeyAndItsPosition(string body, string key, string path, string position)
    {
        var (_, rejection) = await ValidateAsync(Request(body));

        Assert.Equal(StatusCodes.Status400BadRequest, rejection?.StatusCode);
        Assert.Equal("duplicate_key", rejection?.Error);
        Assert.Contains($"'{key}'", Message(rejection), StringComparison.Ordinal);
        Assert.Contains(path, Message(rejection), StringComparison.Ordinal);
        Assert.Contains(position, Message(rejection), StringComparison.Ordinal);
        Assert.Equal(key, rejection!.Body["key"]?.GetValue<string>());
        Assert.Equal(path, rejection.Body["path"]?.GetValue<string>());
    }

    [Fact]
    public async Task ValidateAsync_InjectedSecondUserId_Is400WithoutEchoingAnyValue()
    {
        // What Braze sends when an event property holding `", "user_id": "someone-else` is templated without json_escape.
        const string Body = "{\"user_id\": \"victim-7\", \"event_properties\": {\"plan\": \"gold\"}, \"user_id\": \"someone-else\"}";

        var (_, rejection) = await ValidateAsync(Request(Body));

        Assert.Equal("duplicate_key", rejection?.Error);
        var reply = rejection!.Body.ToJsonString();
        Assert.DoesNotContain("victim-7", reply, StringComparison.Ordinal);
        Assert.DoesNotContain("someone-else", reply, StringComparison.Ordinal);
        Assert.DoesNotContain("gold", reply, StringComparison.Ordinal);
        Assert.Contains("json_escape", Message(rejection), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_LongDuplicateKey_IsShortenedInTheReply()
    {
        var key = new string('k', 300);

        var (_, rejection) = await ValidateAsync(Request($"{{\"{key}\":1,\"{key}\":2}}"));

        Assert.Equal("duplicate_key", rejection?.Error);
        Assert.DoesNotContain(key, rejection!.Body.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains(new string('k', 40) + "…", Message(rejection), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"a\":{\"k\":1},\"b\":{\"k\":2}}")]
    [InlineData("{\"a\":[{\"k\":1},{\"k\":2}]}")]
    [InlineData("{\"user_id\":1,\"User_Id\":2}")]
    [InlineData("{\"smile\":\"\\ud83d\\ude00\",\"\\ud83d\\ude00\":1}")]
    public async Task ValidateAsync_SameKeyInSiblingObjectsOrOtherCaseOrSurrogatePairs_Passes(string body)
    {
        var (webhook, rejection) = await ValidateAsync(Request(body));

        Assert.Null(rejection);
        Assert.Equal(body, webhook?.PayloadJson);
    }

    [Theory]
    [InlineData("{\"a\":\"\\ud800\"}", "$.a")]
    [InlineData("{\"a\":\"x\\uDC00y\"}", "$.a")]
    [InlineData("{\"a\":\"\\ud800\\u0041\"}", "$.a")]
    [InlineData("{\"a\":[1,{\"b\":\"\\udbff\"}]}", "$.a[1].b")]
    [InlineData("{\"ok\":1,\"\\ud800\":1}", "$ (a property name)")]
    public async Task ValidateAsync_EscapedLoneSurrogate_Is400NamingWhere(string body, string path)
    {
        var (_, rejection) = await ValidateAsync(Request(body));

        Assert.Equal(StatusCodes.Status400BadRequest, rejection?.StatusCode);
        Assert.Equal("invalid_unicode_escape", rejection?.Error);
        Assert.Contains("lone surrogate", Message(rejection), StringComparison.Ordinal);
        Assert.Contains(path, Message(rejection), StringComparison.Ordinal);
    }

    public static TheoryData<string, byte[], string> WideOrMarkedBodies => new()
    {
        { "UTF-16 LE with BOM", [.. Encoding.Unicode.Preamble, .. Encoding.Unicode.GetBytes("{\"a\":1}")], "UTF-16 (little-endian) byte order mark (FF FE)" },
        { "UTF-16 BE with BOM", [.. Encoding.BigEndianUnicode.Preamble, .. Encoding.BigEndianUnicode.GetBytes("{\"a\":1}")], "UTF-16 (big-endian) byte order mark (FE FF)" },
        { "UTF-16 LE without BOM", Encoding.Unicode.GetBytes("{\"a\":1}"), "looks like UTF-16 (little-endian)" },
        { "UTF-16 BE without BOM", Encoding.BigEndianUnicode.GetBytes(" {\"a\":1}"), "looks like UTF-16 (big-endian)" },
        { "UTF-32 LE with BOM", [.. Encoding.UTF32.Preamble, .. Encoding.UTF32.GetBytes("{\"a\":1}")], "UTF-32 (little-endian) byte order mark" },
        { "UTF-32 LE without BOM", Encoding.UTF32.GetBytes("{\"a\":1}"), "looks like UTF-32 (little-endian)" },
        { "GB 18030 BOM", [0x84, 0x31, 0x95, 0x33, .. "{}"u8], "GB 18030 byte order mark" },
        { "UTF-7 BOM", [.. "+/v8{}"u8], "UTF-7 byte order mark" },
    };

    [Theory]
    [MemberData(nameof(WideOrMarkedBodies))]
    public async Task ValidateAsync_Utf16Utf32OrForeignBomWithoutMatchingCharset_Is400NamingTheEncoding(string name, byte[] body, string expected)
    {
        var (_, rejection) = await ValidateAsync(Request(body));

        Assert.True(rejection is not null, name);
        Assert.Equal(StatusCodes.Status400BadRequest, rejection.StatusCode);
        Assert.Equal("invalid_encoding", rejection.Error);
        Assert.Contains(expected, Message(rejection), StringComparison.Ordinal);
        Assert.DoesNotContain("invalid start", Message(rejection), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_Utf16BomWithDeclaredUtf8_Is400SayingWhatToDeclare()
    {
        var body = (byte[])[.. Encoding.Unicode.Preamble, .. Encoding.Unicode.GetBytes("{}")];

        var (_, rejection) = await ValidateAsync(Request(body, "application/json; charset=utf-8"));

        Assert.Equal("invalid_encoding", rejection?.Error);
        Assert.Contains("charset=utf-16", Message(rejection), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_Utf8BomWithDeclaredUtf16_Is400NamingBoth()
    {
        var body = (byte[])[.. Encoding.UTF8.Preamble, .. "{}"u8];

        var (_, rejection) = await ValidateAsync(Request(body, "application/json; charset=utf-16"));

        Assert.Equal("invalid_encoding", rejection?.Error);
        Assert.Contains("UTF-8 byte order mark", Message(rejection), StringComparison.Ordinal);
        Assert.Contains("declares charset utf-16", Message(rejection), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("utf-16", true)]
    [InlineData("utf-16", false)]
    [InlineData("utf-16be", true)]
    [InlineData("utf-32", true)]
    public async Task ValidateAsync_DeclaredUtf16Or32_IsTranscodedWithItsBomDropped(string charset, bool withBom)
    {
        var encoding = Encoding.GetEncoding(charset);
        var body = (byte[])[.. withBom ? encoding.Preamble : [], .. encoding.GetBytes("{\"name\":\"Zoë ✓\"}")];

        var (webhook, rejection) = await ValidateAsync(Request(body, "application/json; charset=" + charset));

        Assert.Null(rejection);
        Assert.Equal("{\"name\":\"Zoë ✓\"}", webhook?.PayloadJson);
        Assert.Equal(Encoding.UTF8.GetByteCount(webhook!.PayloadJson), webhook.PayloadBytes);
    }

    [Fact]
    public async Task ValidateAsync_ZeroByteInUtf8Body_Is400NamingTheOffset()
    {
        var (_, rejection) = await ValidateAsync(Request([.. "{\"a\":\""u8, 0x00, .. "\"}"u8]));

        Assert.Equal("invalid_encoding", rejection?.Error);
        Assert.Contains("zero byte at offset 6", Message(rejection), StringComparison.Ordinal);
    }

    public static TheoryData<string> ShippedSamplePayloads() =>
        [.. Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "templates"), "*.sample.json").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(ShippedSamplePayloads))]
    public async Task ValidateAsync_ShippedSamplePayload_PassesStrictJson(string file)
    {
        var body = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "templates", file));

        var (webhook, rejection) = await ValidateAsync(Request(body));

        Assert.True(rejection is null, $"{file}: {Message(rejection)}");
        Assert.NotNull(webhook);
    }

    public static TheoryData<string?, string?, string?, bool, string> Rotation => new()
    {
        // current, next, header sent, accepted, secret counted
        { "old-secret", "new-secret", "old-secret", true, "current" },
        { "old-secret", "new-secret", "new-secret", true, "next" },
        { "old-secret", "new-secret", "other", false, "none" },
        { "old-secret", "new-secret", null, false, "none" },
        { "old-secret", "", "old-secret", true, "current" },
        { "old-secret", "", "new-secret", false, "none" },
        { null, "new-secret", "new-secret", true, "next" },
        { "", "new-secret", "old-secret", false, "none" },
        { "", "new-secret", null, false, "none" },
        { "", "new-secret", "", false, "none" },
    };

    [Theory]
    [MemberData(nameof(Rotation))]
    public async Task ValidateAsync_CurrentAndNextSecret_EitherPassesAndTheMatchIsCounted(string? current, string? next, string? sent, bool accepted, string counted)
    {
        var request = Request("{}");
        if (sent is not null)
        {
            request.Headers["X-Relay-Secret"] = sent;
        }

        var metrics = NewMetrics();
        using var matched = new MetricCollector<long>(metrics.Meter, "relay.ingress.secret_matched");

        var (webhook, rejection) = await ValidateAsync(request, new IngressOptions { SharedSecret = current, NextSharedSecret = next }, metrics: metrics);

        Assert.Equal(accepted, webhook is not null);
        Assert.Equal(accepted ? (int?)null : StatusCodes.Status401Unauthorized, rejection?.StatusCode);
        var measurement = Assert.Single(matched.GetMeasurementSnapshot());
        Assert.Equal(counted, measurement.Tags["secret"]);
        if (rejection is not null)
        {
            Assert.DoesNotContain("old-secret", rejection.Body.ToJsonString(), StringComparison.Ordinal);
            Assert.DoesNotContain("new-secret", rejection.Body.ToJsonString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ValidateAsync_NoSecretConfigured_PassesAndCountsNothing()
    {
        var metrics = NewMetrics();
        using var matched = new MetricCollector<long>(metrics.Meter, "relay.ingress.secret_matched");

        var (webhook, _) = await ValidateAsync(Request("{}"), new IngressOptions(), metrics: metrics);

        Assert.NotNull(webhook);
        Assert.Empty(matched.GetMeasurementSnapshot());
    }

    private static Task<(ValidatedWebhook? Webhook, BrazeFunctions.Core.Http.JsonReply? Rejection)> ValidateAsync(
        HttpRequest request, IngressOptions? options = null, string route = Route, RelayMetrics? metrics = null)
    {
        var validator = new WebhookRequestValidator(
            new FixedRoutes("trigger-canvas", "attribute-from-event"),
            Options.Create(options ?? new IngressOptions()),
            new IngressSecretMetrics(metrics ?? NewMetrics()));
        return validator.ValidateAsync(route, request, CancellationToken.None);
    }

    private static RelayMetrics NewMetrics() =>
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());

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
