using BrazeFunctions.Cli;
using BrazeFunctions.Core.Templates;

namespace BrazeFunctions.Tests.Templates;

/// <summary>Every shipped template renders its sample payload to its golden file.</summary>
public sealed class ShippedTemplatesTests
{
    public static TheoryData<string> Routes() =>
    [
        "attribute-from-event",
        "attribute-from-event-anonymous",
        "counter-increment",
        "counter-increment-liquid",
        "trigger-canvas",
        "trigger-campaign",
    ];

    [Theory]
    [MemberData(nameof(Routes))]
    public void Render_SamplePayload_MatchesGoldenFile(string route)
    {
        var template = TemplateLoader.LoadFile(Path.Combine(TemplateTestKit.ShippedTemplatesDirectory, route + ".liquid"));
        var sample = File.ReadAllText(Path.Combine(TemplateTestKit.ShippedTemplatesDirectory, route + ".sample.json"));

        var rendered = Assert.IsType<RenderOutcome.Rendered>(new TemplateTestKit().Render(template, sample));

        var golden = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Templates", "Golden", route + ".json"));
        Assert.Equal(golden.ReplaceLineEndings("\n").TrimEnd(), TemplateCommands.FormatRequest(rendered).ReplaceLineEndings("\n"));
        Assert.Empty(rendered.MissingVariables);
    }

    [Theory]
    [InlineData("attribute-from-event", """{"user_id":"u-1","event_properties":{"plan":"gold"}}""", "u-1-gold")]
    [InlineData("attribute-from-event-anonymous", """{"braze_id":"b-1","event_properties":{"plan":"gold"}}""", "b-1-gold")]
    [InlineData("trigger-canvas", """{"user_id":"u-1","canvas_id":"c-1"}""", "c-1-u-1-msg-1")]
    [InlineData("trigger-campaign", """{"user_id":"u-1","campaign_id":"k-1"}""", "k-1-u-1-msg-1")]
    public void Render_ShippedIdempotencyKeys_AreDerivedFromThePayload(string route, string payload, string key)
    {
        var template = TemplateLoader.LoadFile(Path.Combine(TemplateTestKit.ShippedTemplatesDirectory, route + ".liquid"));

        Assert.Equal(key, Assert.IsType<RenderOutcome.Rendered>(new TemplateTestKit().Render(template, payload)).IdempotencyKey);
    }

    [Theory]
    [InlineData("attribute-from-event", """{"user_id":"u-1","event_properties":{"plan":12}}""", 12)]
    [InlineData("attribute-from-event", """{"user_id":"u-1","event_properties":{"plan":true}}""", true)]
    public void Render_AttributeFromEvent_KeepsTheEventPropertyType(string route, string payload, object expected)
    {
        var template = TemplateLoader.LoadFile(Path.Combine(TemplateTestKit.ShippedTemplatesDirectory, route + ".liquid"));

        var rendered = Assert.IsType<RenderOutcome.Rendered>(new TemplateTestKit().Render(template, payload));

        Assert.Contains("\"plan\":" + System.Text.Json.JsonSerializer.Serialize(expected), rendered.BodyJson, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_AttributeFromEventWithoutTheProperty_Aborts()
    {
        var template = TemplateLoader.LoadFile(Path.Combine(TemplateTestKit.ShippedTemplatesDirectory, "attribute-from-event.liquid"));

        var aborted = Assert.IsType<RenderOutcome.Aborted>(new TemplateTestKit().Render(template, """{"user_id":"u-1","event_properties":{}}"""));

        Assert.Equal("event property plan is missing", aborted.Reason);
    }

    [Fact]
    public void Render_TriggerCanvasWithoutEntryProperties_OmitsThemWithoutReportingAMissingVariable()
    {
        var template = TemplateLoader.LoadFile(Path.Combine(TemplateTestKit.ShippedTemplatesDirectory, "trigger-canvas.liquid"));

        var rendered = Assert.IsType<RenderOutcome.Rendered>(new TemplateTestKit().Render(template, """{"user_id":"u-1","canvas_id":"c-1"}"""));

        Assert.Equal("""{"canvas_id":"c-1","recipients":[{"external_user_id":"u-1"}]}""", rendered.BodyJson);
        Assert.Empty(rendered.MissingVariables);
    }
}
