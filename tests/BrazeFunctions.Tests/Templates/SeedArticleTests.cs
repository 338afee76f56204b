using System.Text.Json.Nodes;
using BrazeFunctions.Core.Templates;

namespace BrazeFunctions.Tests.Templates;

/// <summary>The three request bodies of Braze's "Braze to Braze webhooks" article, pasted unchanged.</summary>
public sealed class SeedArticleTests
{
    private const string AttributeBody = """
        {
          "attributes": [
            {
              "external_id": "{{${user_id}}}",
              "new_custom_attribute": "{{event_properties.${your_event_property}}}"
            }
          ]
        }
        """;

    private const string CounterBody = """
        {% assign new_number = {{custom_attribute.${your_attribute_count}}} | plus: 1 %}
        {
            "attributes": [
                {
                "external_id": "{{${user_id}}}",
                "your_attribute_count": "{{new_number}}"
                }
            ]
        }
        """;

    private const string CanvasBody = """
        {
              "canvas_id": "your_canvas_id",
              "recipients": [
                {
                  "external_user_id": "{{${user_id}}}"
                 }
              ]
        }
        """;

    [Fact]
    public void Render_AttributeFromEventPropertyBody_ProducesUsersTrackAttribute()
    {
        var outcome = new TemplateTestKit().Render(AttributeBody, """{"user_id":"user-123","event_properties":{"your_event_property":"gold"}}""");

        AssertBody(outcome, "/users/track", """{"attributes":[{"external_id":"user-123","new_custom_attribute":"gold"}]}""");
    }

    [Fact]
    public void Render_LiquidCounterBody_ProducesIncrementedValue()
    {
        var outcome = new TemplateTestKit().Render(CounterBody, """{"user_id":"user-123","custom_attribute":{"your_attribute_count":2}}""");

        AssertBody(outcome, "/users/track", """{"attributes":[{"external_id":"user-123","your_attribute_count":"3"}]}""");
    }

    [Fact]
    public void Render_LiquidCounterBodyWithoutCurrentValue_StartsAtOneAndReportsTheMissingAttribute()
    {
        var outcome = new TemplateTestKit().Render(CounterBody, """{"user_id":"user-123","custom_attribute":{}}""");

        AssertBody(outcome, "/users/track", """{"attributes":[{"external_id":"user-123","your_attribute_count":"1"}]}""");
        Assert.Equal(["custom_attribute.your_attribute_count"], Assert.IsType<RenderOutcome.Rendered>(outcome).MissingVariables);
    }

    [Fact]
    public void Render_CanvasTriggerBody_ProducesRecipient()
    {
        var outcome = new TemplateTestKit().Render(CanvasBody, """{"user_id":"user-123"}""", "/canvas/trigger/send");

        AssertBody(outcome, "/canvas/trigger/send", """{"canvas_id":"your_canvas_id","recipients":[{"external_user_id":"user-123"}]}""");
    }

    internal static void AssertBody(RenderOutcome outcome, string endpoint, string expectedJson)
    {
        var rendered = Assert.IsType<RenderOutcome.Rendered>(outcome);
        Assert.Equal(endpoint, rendered.Endpoint);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expectedJson), JsonNode.Parse(rendered.BodyJson)), rendered.BodyJson);
    }
}
