using System.Text;
using System.Text.Json;
using BrazeFunctions.Core.Templates;

namespace BrazeFunctions.Tests.Templates;

/// <summary>No payload value can change the structure of the rendered JSON.</summary>
public sealed class HostilePayloadTests
{
    private const string StringPositions = """
        {
          "attributes": [
            {
              "external_id": "{{${user_id}}}",
              "plain": "{{ value }}",
              "escaped": "{{ value | json_escape }}",
              "nested": "{{ event_properties.${value} }}",
              "spaced": "prefix {{ ${the value} }} suffix",
              "{{ value }}": "key position"
            }
          ]
        }
        """;

    private const string ValuePositions = """
        {
          "attributes": [
            {
              "external_id": "{{${user_id}}}",
              "whole": {{ value | as_json_string }},
              "list": [{{ value | as_json_string }}, 1]
            }
          ]
        }
        """;

    private const string NonStringPositions = """
        {
          "attributes": [
            {
              "external_id": "user-1",
              "number": {{ value }},
              "list": [{{ value }}]
            }
          ]
        }
        """;

    public static TheoryData<string> HostileStrings() =>
    [
        "simple text",
        "O'Brien \"the quote\"",
        "back\\slash\\",
        "trailing backslash \\",
        "line\nbreak\r\nand\ttab",
        "control \u0000\u0001\u0007\u001b\u001f chars",
        "\"}],\"x\":\"",
        "\"}]}, {\"external_id\": \"evil\"}, {\"a\": \"",
        "{{ 'liquid' }} {% abort_message('no') %} ${user_id}",
        "</script><script>alert(1)</script>&amp;",
        "unicode: é ü ß 中文 العربية \u2028\u2029",
        "emoji 😀👩‍👩‍👧‍👦🏳️‍🌈",
        new string('x', 20_000) + "\"" + new string('\\', 1_000),
        "-1",
        "1, 2",
        "true",
        "null",
        "",
    ];

    [Theory]
    [MemberData(nameof(HostileStrings))]
    public void Render_HostileStringInStringPositions_KeepsShapeAndValue(string hostile)
    {
        var payload = Payload(hostile);

        var body = new TemplateTestKit().RenderBody(StringPositions, payload);

        var attribute = body.GetProperty("attributes")[0];
        Assert.Equal(Shape(Expected(hostile)), Shape(body));
        Assert.Equal(hostile, attribute.GetProperty("plain").GetString());
        Assert.Equal(hostile, attribute.GetProperty("escaped").GetString());
        Assert.Equal(hostile, attribute.GetProperty("nested").GetString());
        Assert.Equal("prefix " + hostile + " suffix", attribute.GetProperty("spaced").GetString());
        Assert.Equal("key position", attribute.GetProperty(hostile).GetString());
    }

    [Theory]
    [MemberData(nameof(HostileStrings))]
    public void Render_HostileStringThroughAsJsonString_IsOneStringValue(string hostile)
    {
        var body = new TemplateTestKit().RenderBody(ValuePositions, Payload(hostile));

        var attribute = body.GetProperty("attributes")[0];
        Assert.Equal(["external_id", "whole", "list"], attribute.EnumerateObject().Select(p => p.Name));
        Assert.Equal(hostile, attribute.GetProperty("whole").GetString());
        Assert.Equal(2, attribute.GetProperty("list").GetArrayLength());
        Assert.Equal(hostile, attribute.GetProperty("list")[0].GetString());
    }

    [Theory]
    [MemberData(nameof(HostileStrings))]
    public void Render_HostileStringInNonStringPosition_FailsOrStaysOneScalar(string hostile)
    {
        var outcome = new TemplateTestKit().Render(NonStringPositions, Payload(hostile));

        if (outcome is RenderOutcome.Rendered rendered)
        {
            // Only text that is itself one JSON scalar may pass, and it stays one scalar.
            var attribute = JsonDocument.Parse(rendered.BodyJson).RootElement.GetProperty("attributes")[0];
            Assert.Equal(["external_id", "number", "list"], attribute.EnumerateObject().Select(p => p.Name));
            Assert.Equal(1, attribute.GetProperty("list").GetArrayLength());
            Assert.Contains(attribute.GetProperty("number").ValueKind, new[] { JsonValueKind.Number, JsonValueKind.True, JsonValueKind.Null });
            Assert.Contains(hostile, new[] { "-1", "true", "null" });
        }
        else
        {
            var failed = Assert.IsType<RenderOutcome.Failed>(outcome);
            Assert.Equal("test-route", failed.Route);
            Assert.DoesNotContain("\"}]", failed.Error, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(HostileStrings))]
    public void Render_TopLevelStringCapture_IsEscapedOnceWhereItIsOutput(string hostile)
    {
        var body = new TemplateTestKit().RenderBody(
            """
            {% capture greeting %}Hi {{ value }}{% endcapture %}{% capture escaped %}{{ value | json_escape }}{% endcapture %}
            {"attributes":[{"external_id":"u","g":"{{ greeting }}","e":"{{ greeting | json_escape }}","c":"{{ escaped }}","a":{{ greeting | as_json_string }}}]}
            """,
            Payload(hostile));

        var attribute = body.GetProperty("attributes")[0];
        Assert.Equal(["external_id", "g", "e", "c", "a"], attribute.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Hi " + hostile, attribute.GetProperty("g").GetString());
        Assert.Equal("Hi " + hostile, attribute.GetProperty("e").GetString());
        Assert.Equal(hostile, attribute.GetProperty("c").GetString());
        Assert.Equal("Hi " + hostile, attribute.GetProperty("a").GetString());
    }

    [Theory]
    [MemberData(nameof(HostileStrings))]
    public void Render_ArrayElementsBuiltFromACapture_CannotInject(string hostile)
    {
        var body = new TemplateTestKit().RenderBody(
            """
            {% capture list %}{{ value }}|x{% endcapture %}{% assign items = list | split: "|" %}
            {"attributes":[{"external_id":"u","first":"{{ items[0] }}","last":"{{ items | last }}",
             "all":[{% for i in items %}"{{ i }}"{% unless forloop.last %},{% endunless %}{% endfor %}]}]}
            """,
            Payload(hostile));

        var attribute = body.GetProperty("attributes")[0];
        Assert.Equal(["external_id", "first", "last", "all"], attribute.EnumerateObject().Select(p => p.Name));
        var all = attribute.GetProperty("all").EnumerateArray().ToList();
        Assert.All(all, item => Assert.Equal(JsonValueKind.String, item.ValueKind));
        Assert.Equal(hostile + "|x", string.Join('|', all.Select(i => i.GetString())));
        Assert.Equal("x", attribute.GetProperty("last").GetString());
        Assert.Equal(all[0].GetString(), attribute.GetProperty("first").GetString());
    }

    [Theory]
    [InlineData("42", JsonValueKind.Number, "42")]
    [InlineData("-3.25", JsonValueKind.Number, "-3.25")]
    [InlineData("true", JsonValueKind.True, "true")]
    [InlineData("false", JsonValueKind.False, "false")]
    public void Render_NumbersAndBooleans_KeepTheirTypeOutsideStringsAndBecomeTextInside(string json, JsonValueKind kind, string text)
    {
        var body = new TemplateTestKit().RenderBody(
            """{"attributes":[{"external_id":"u","raw":{{ v }},"typed":{{ v | as_json_string }},"quoted":"{{ v }}"}]}""",
            $$"""{"v": {{json}}}""");

        var attribute = body.GetProperty("attributes")[0];
        Assert.Equal(kind, attribute.GetProperty("raw").ValueKind);
        Assert.Equal(kind, attribute.GetProperty("typed").ValueKind);
        Assert.Equal(text, attribute.GetProperty("raw").GetRawText());
        Assert.Equal(text, attribute.GetProperty("quoted").GetString());
    }

    [Theory]
    [InlineData("\"42\"", "42")]
    [InlineData("\"true\"", "true")]
    public void Render_NumericLookingStrings_InStringPositionStayStrings(string json, string text)
    {
        var body = new TemplateTestKit().RenderBody("""{"attributes":[{"external_id":"u","s":"{{ v }}","t":{{ v | as_json_string }}}]}""", $$"""{"v": {{json}}}""");

        Assert.Equal(text, body.GetProperty("attributes")[0].GetProperty("s").GetString());
        Assert.Equal(JsonValueKind.String, body.GetProperty("attributes")[0].GetProperty("t").ValueKind);
    }

    [Fact]
    public void Render_RawOptsOutOfEscaping_SoAQuoteBreaksTheJson()
    {
        var outcome = new TemplateTestKit().Render("""{"attributes":[{"external_id":"u","s":"{{ v | raw }}"}]}""", """{"v": "a\"b"}""");

        var failed = Assert.IsType<RenderOutcome.Failed>(outcome);
        Assert.Contains("not valid JSON", failed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_RawWithTrustedJson_IsWrittenVerbatim()
    {
        var body = new TemplateTestKit().RenderBody("""{"attributes":[{"external_id":"u","s":{{ v | raw }}}]}""", """{"v": "{\"inc\": 1}"}""");

        Assert.Equal(1, body.GetProperty("attributes")[0].GetProperty("s").GetProperty("inc").GetInt32());
    }

    [Fact]
    public void Render_LoneSurrogateEscapeInPayload_FailsInsteadOfThrowing()
    {
        var outcome = new TemplateTestKit().Render("""{"attributes":[{"external_id":"{{ v }}"}]}""", """{"v":"\ud800"}""");

        Assert.True(outcome is RenderOutcome.Failed or RenderOutcome.Rendered);
        if (outcome is RenderOutcome.Rendered rendered)
        {
            Assert.Single(JsonDocument.Parse(rendered.BodyJson).RootElement.GetProperty("attributes").EnumerateArray());
        }
    }

    private static string Payload(string hostile) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["user_id"] = "user-1",
        ["value"] = hostile,
        ["the value"] = hostile,
        ["event_properties"] = new Dictionary<string, string> { ["value"] = hostile },
    });

    private static JsonElement Expected(string key) => JsonDocument.Parse(JsonSerializer.Serialize(new
    {
        attributes = new[] { new Dictionary<string, string> { ["external_id"] = "", ["plain"] = "", ["escaped"] = "", ["nested"] = "", ["spaced"] = "", [key] = "" } },
    })).RootElement;

    /// <summary>Keys and value kinds, recursively; the values themselves are left out.</summary>
    private static string Shape(JsonElement element)
    {
        var builder = new StringBuilder();
        Write(element);
        return builder.ToString();

        void Write(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    builder.Append('{');
                    foreach (var p in e.EnumerateObject())
                    {
                        builder.Append(JsonSerializer.Serialize(p.Name)).Append(':');
                        Write(p.Value);
                        builder.Append(',');
                    }

                    builder.Append('}');
                    break;
                case JsonValueKind.Array:
                    builder.Append('[');
                    foreach (var item in e.EnumerateArray())
                    {
                        Write(item);
                        builder.Append(',');
                    }

                    builder.Append(']');
                    break;
                default:
                    builder.Append(e.ValueKind);
                    break;
            }
        }
    }
}
