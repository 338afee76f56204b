using System.Text;
using BrazeFunctions.Core.Ingress;
using Microsoft.AspNetCore.Http;
using static BrazeFunctions.Tests.Ingress.WebhookRequestValidatorKit;

namespace BrazeFunctions.Tests.Ingress;

/// <summary>The body: its size limit, strict JSON (one object, no duplicate keys, no lone surrogates) and the shipped samples.</summary>
public sealed class WebhookRequestValidatorBodyTests
{
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
}
