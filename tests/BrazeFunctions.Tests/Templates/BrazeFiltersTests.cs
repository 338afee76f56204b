using BrazeFunctions.Core.Templates;

namespace BrazeFunctions.Tests.Templates;

public sealed class BrazeFiltersTests
{
    [Theory]
    [InlineData("md5", "5d41402abc4b2a76b9719d911017c592")]
    [InlineData("sha1", "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d")]
    [InlineData("sha2", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")]
    [InlineData("base64", "aGVsbG8=")]
    [InlineData("hmac_sha256_hex: 'key'", "9307b3b915efb5171ff14d8cb55fbcc798c6c0ef1456d66ded1a6aa723a58b7b")]
    [InlineData("hmac_sha256_base64: 'key'", "kwezuRXvtRcf8U2MtV+8x5jGwO8UVtZt7RpqpyOli3s=")]
    [InlineData("hmac_sha1_hex: 'key'", "b34ceac4516ff23a143e61d79d0fa7a4fbe5f266")]
    [InlineData("hmac_sha1_base64: 'key'", "s0zqxFFv8joUPmHXnQ+npPvl8mY=")]
    public void Filter_HashesAndEncodings_MatchKnownVectors(string filter, string expected) =>
        Assert.Equal(expected, RenderString("{{ v | " + filter + " }}", "hello"));

    [Theory]
    [InlineData("url_escape", "a b/c?d=e&f#g%é", "a%20b/c?d=e&f%23g%25%C3%A9")]
    [InlineData("url_param_escape", "a b/c?d=e&f#g%é", "a%20b%2Fc%3Fd%3De%26f%23g%25%C3%A9")]
    [InlineData("url_encode", "john@liquid.com a&b", "john%40liquid.com+a%26b")]
    [InlineData("json_escape", "say \"hi\"\n\\", "say \"hi\"\n\\")]
    public void Filter_Escaping_ProducesTheExpectedText(string filter, string input, string expected) =>
        Assert.Equal(expected, RenderString("{{ v | " + filter + " }}", input));

    [Theory]
    [InlineData("1234567", "1,234,567")]
    [InlineData("1234.5", "1,234.5")]
    [InlineData("-1000", "-1,000")]
    [InlineData("12", "12")]
    public void Filter_NumberWithDelimiter_GroupsThousands(string number, string expected)
    {
        var body = new TemplateTestKit().RenderBody("""{"attributes":[{"external_id":"u","v":"{{ n | number_with_delimiter }}"}]}""", $$"""{"n": {{number}}}""");

        Assert.Equal(expected, body.GetProperty("attributes")[0].GetProperty("v").GetString());
    }

    [Fact]
    public void Filter_JsonParse_TurnsAStringIntoAnObject()
    {
        var body = new TemplateTestKit().RenderBody(
            """{% assign o = blob | json_parse %}{"attributes":[{"external_id":"u","v":{{ o.a.b }},"w":"{{ o.list[1] }}"}]}""",
            """{"blob":"{\"a\":{\"b\":2},\"list\":[\"x\",\"y\"]}"}""");

        Assert.Equal(2, body.GetProperty("attributes")[0].GetProperty("v").GetInt32());
        Assert.Equal("y", body.GetProperty("attributes")[0].GetProperty("w").GetString());
    }

    [Fact]
    public void Filter_JsonParseOfInvalidJson_Fails()
    {
        var outcome = new TemplateTestKit().Render("""{% assign o = blob | json_parse %}{"attributes":[]}""", """{"blob":"{nope"}""");

        Assert.Contains("json_parse: the input is not valid JSON", Assert.IsType<RenderOutcome.Failed>(outcome).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Filter_AsJsonString_WritesObjectsArraysAndScalars()
    {
        var body = new TemplateTestKit().RenderBody(
            """{"attributes":[{"external_id":"u","o":{{ obj | as_json_string }},"s":{{ s | as_json_string }},"n":{{ missing | as_json_string }},"in_string":"{{ obj | as_json_string }}"}]}""",
            """{"obj":{"k":[1,"x",null,true,{"z":1.5}]},"s":"q\"uote"}""");

        var a = body.GetProperty("attributes")[0];
        Assert.Equal("""{"k":[1,"x",null,true,{"z":1.5}]}""", a.GetProperty("o").GetRawText());
        Assert.Equal("q\"uote", a.GetProperty("s").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, a.GetProperty("n").ValueKind);
        Assert.Equal("""{"k":[1,"x",null,true,{"z":1.5}]}""", a.GetProperty("in_string").GetString());
    }

    [Fact]
    public void Filter_PropertyAccessor_ReadsAKeyHeldInAVariable()
    {
        var body = new TemplateTestKit().RenderBody(
            """{"attributes":[{"external_id":"u","v":"{{ custom_attribute | property_accessor: key }}"}]}""",
            """{"key":"tier","custom_attribute":{"tier":"gold"}}""");

        Assert.Equal("gold", body.GetProperty("attributes")[0].GetProperty("v").GetString());
    }

    [Fact]
    public void Filter_HmacWithoutKey_FailsNamingTheFilter()
    {
        var outcome = new TemplateTestKit().Render("""{"attributes":[{"external_id":"{{ v | hmac_sha256_hex }}"}]}""", """{"v":"x"}""");

        Assert.Contains("hmac_sha256_hex needs a key argument", Assert.IsType<RenderOutcome.Failed>(outcome).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Filter_JsonEscape_IsNotEscapedTwice()
    {
        var rendered = Assert.IsType<RenderOutcome.Rendered>(new TemplateTestKit().Render(
            """{"attributes":[{"external_id":"u","v":"{{ v | json_escape }}"}]}""", """{"v":"a\"b\\c"}"""));

        Assert.Equal("""{"attributes":[{"external_id":"u","v":"a\"b\\c"}]}""", rendered.BodyJson);
    }

    private static string RenderString(string expression, string input)
    {
        var payload = System.Text.Json.JsonSerializer.Serialize(new { v = input });
        var body = new TemplateTestKit().RenderBody("""{"attributes":[{"external_id":"u","v":"EXPR"}]}""".Replace("EXPR", expression, StringComparison.Ordinal), payload);
        return body.GetProperty("attributes")[0].GetProperty("v").GetString()!;
    }
}
