using BrazeFunctions.Core.Templates;

namespace BrazeFunctions.Tests.Templates;

/// <summary>The Ruby Liquid behaviours Braze relies on, through the relay's real renderer (JSON string position).</summary>
public sealed class RubyLiquidTests
{
    [Theory]
    [InlineData("{{ 10.0 | divided_by: 4 }}", "2.5")]
    [InlineData("{{ 7 | divided_by: 2 }}", "3")]
    [InlineData("{{ 2.0 | plus: 1 }}", "3.0")]
    [InlineData("{{ '6-3' | plus: 0 }}", "6")]
    [InlineData("{{ 'a,b' | split: ',' | join }}", "a b")]
    [InlineData("{{ ',a,,b,,' | split: ',' | size }}", "4")]
    [InlineData("{{ 'a\nb' | newline_to_br }}", "a<br />\nb")]
    [InlineData("{{ '<script>x</script>y<style>z</style>' | strip_html }}", "y")]
    [InlineData("{{ '1152098955' | date: '%m/%d/%Y' }}", "07/05/2006")]
    [InlineData("{{ 'Fri Jul 16 01:00:00 2004' | date: '%m/%d/%Y' }}", "07/16/2004")]
    [InlineData("{{ 'not a date' | date: '%D' }}", "not a date")]
    [InlineData("{{ '2006-07-05 10:00:00' | date: '%c' }}", "Wed Jul  5 10:00:00 2006")]
    [InlineData("{{ '2006-07-05 10:00:00' | date: '%-d %^a %e %j %I%p' }}", "5 WED  5 186 10AM")]
    [InlineData("{% for i in (1..6) limit:2 offset:2 %}{{ forloop.index }}/{{ forloop.length }}:{{ i }} {% endfor %}", "1/2:3 2/2:4 ")]
    [InlineData("{% for c in 'abc' %}[{{ c }}]{% endfor %}", "[abc]")]
    [InlineData("{{ 'a\nb' | size }}", "3")]
    [InlineData("{% liquid assign x = a | plus: 3\necho x %}", "5")]
    [InlineData("{{ a | plus: {{ b }} }}", "5")]
    [InlineData("{{ 145 | money }}", "145.00")]
    [InlineData("{{ 'hey' | hmac_sha512: 'k' | size }}", "128")]
    [InlineData("{% capture 'q' %}quoted{% endcapture %}{{ q }}", "quoted")]
    [InlineData("{{ n | sort | join: ',' }}", "1,2,")]
    public void Render_RubyLiquidSemantics_MatchBraze(string expression, string expected) =>
        Assert.Equal(expected, RenderString(expression, """{"a":2,"b":3,"n":[null,2,1]}"""));

    [Fact]
    public void Render_NestedAttributePath_ReadsTheNestedObject() =>
        Assert.Equal("Lyon", RenderString("{{custom_attribute.${address.city}}}", """{"custom_attribute":{"address":{"city":"Lyon"}}}"""));

    [Fact]
    public void Render_AbortMessageInsideLiquidTag_Aborts()
    {
        var outcome = new TemplateTestKit().Render("{% liquid\nif a > 1\nabort_message('too big')\nendif\n%}{\"attributes\":[]}", """{"a":2}""");

        Assert.Equal("too big", Assert.IsType<RenderOutcome.Aborted>(outcome).Reason);
    }

    [Fact]
    public void Render_DivideByZero_FailsNamingTheFilter()
    {
        var failed = Assert.IsType<RenderOutcome.Failed>(new TemplateTestKit().Render("""{"attributes":[{"external_id":"u","v":{{ 1.0 | divided_by: 0 }}}]}""", "{}"));

        Assert.Contains("divided_by: divided by 0", failed.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"n": 1e400}""", "1e400")]
    [InlineData("""{"n": 1234567890123456789012345678901234567890}""", "1234567890123456789012345678901234567890")]
    [InlineData("""{"n": -1E-400}""", "-1E-400")]
    public void Render_NumberBeyondDecimal_IsWrittenAsTheOriginalNumber(string payload, string raw)
    {
        var rendered = Assert.IsType<RenderOutcome.Rendered>(new TemplateTestKit().Render(
            """{"attributes":[{"external_id":"u","a":{{ n }},"b":{{ n | as_json_string }},"c":[{{ payload | as_json_string }}],"s":"{{ n }}"}]}""", payload));

        var attribute = System.Text.Json.JsonDocument.Parse(rendered.BodyJson).RootElement.GetProperty("attributes")[0];
        Assert.Equal(System.Text.Json.JsonValueKind.Number, attribute.GetProperty("a").ValueKind);
        Assert.Equal(raw, attribute.GetProperty("a").GetRawText());
        Assert.Equal(raw, attribute.GetProperty("b").GetRawText());
        Assert.Equal(raw, attribute.GetProperty("c")[0].GetProperty("n").GetRawText());
        Assert.Equal(raw, attribute.GetProperty("s").GetString());
    }

    [Fact]
    public void Render_ArithmeticOnNumberBeyondDecimal_FailsWithAClearMessage()
    {
        var failed = Assert.IsType<RenderOutcome.Failed>(new TemplateTestKit().Render("""{"attributes":[{"external_id":"u","a":{{ n | plus: 1 }}}]}""", """{"n": 1e400}"""));

        Assert.Contains("too large for arithmetic", failed.Error, StringComparison.Ordinal);
    }

    private static string RenderString(string expression, string payload)
    {
        var body = new TemplateTestKit().RenderBody("""{"attributes":[{"external_id":"u","v":"EXPR"}]}""".Replace("EXPR", expression, StringComparison.Ordinal), payload);
        return body.GetProperty("attributes")[0].GetProperty("v").GetString()!;
    }
}
