using System.Text.Json;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Tests.Templates;

public sealed class WebhookTemplateRendererTests
{
    [Fact]
    public void Render_Model_ExposesFieldsPayloadAndRequestFacts()
    {
        var body = new TemplateTestKit().RenderBody(
            """
            {"attributes":[{"external_id":"{{ user_id }}","a":"{{ payload.user_id }}","b":"{{ ${first name} }}","c":"{{ route }}",
             "d":"{{ message_id }}","e":"{{ received_at }}","f":"{{ payload['first name'] }}"}]}
            """,
            """{"user_id":"u-1","first name":"Zoé"}""");

        var a = body.GetProperty("attributes")[0];
        Assert.Equal("u-1", a.GetProperty("external_id").GetString());
        Assert.Equal("u-1", a.GetProperty("a").GetString());
        Assert.Equal("Zoé", a.GetProperty("b").GetString());
        Assert.Equal("test-route", a.GetProperty("c").GetString());
        Assert.Equal("msg-1", a.GetProperty("d").GetString());
        Assert.Equal("2026-11-29T09:00:00.000Z", a.GetProperty("e").GetString());
        Assert.Equal("Zoé", a.GetProperty("f").GetString());
    }

    [Theory]
    [InlineData("custom_attribute")]
    [InlineData("event_properties")]
    [InlineData("canvas_entry_properties")]
    [InlineData("context")]
    [InlineData("api_trigger_properties")]
    [InlineData("campaign")]
    public void Render_BrazeNamespaceReference_ReadsTheNestedPayloadObject(string ns)
    {
        var body = new TemplateTestKit().RenderBody(
            """{"attributes":[{"external_id":"u","v":"{{NS.${the key}}}","w":{{NS.${n} | plus: 1}}}]}""".Replace("NS", ns, StringComparison.Ordinal),
            """{"NS":{"the key":"value","n":41}}""".Replace("NS", ns, StringComparison.Ordinal));

        Assert.Equal("value", body.GetProperty("attributes")[0].GetProperty("v").GetString());
        Assert.Equal(42, body.GetProperty("attributes")[0].GetProperty("w").GetInt32());
    }

    [Fact]
    public void Render_AssignWithNestedOutputTag_Works()
    {
        var body = new TemplateTestKit().RenderBody(
            """{% assign total = {{ ${a} }} | plus: {{event_properties.${b}}} %}{"attributes":[{"external_id":"u","t":{{ total }}}]}""",
            """{"a":2,"event_properties":{"b":3}}""");

        Assert.Equal(5, body.GetProperty("attributes")[0].GetProperty("t").GetInt32());
    }

    [Fact]
    public void Render_MissingVariables_RenderEmptyAndAreReportedByNameOnly()
    {
        var kit = new TemplateTestKit();

        var outcome = kit.Render(
            """{"attributes":[{"external_id":"{{ user_id }}","a":"{{ typo_name }}","b":"{{ event_properties.plna }}","c":"{{ ${first name} }}"}]}""",
            """{"user_id":"secret-user","event_properties":{"plan":"premium-secret"}}""");

        var rendered = Assert.IsType<RenderOutcome.Rendered>(outcome);
        Assert.Equal(["typo_name", "event_properties.plna", "first name"], rendered.MissingVariables);
        var a = JsonDocument.Parse(rendered.BodyJson).RootElement.GetProperty("attributes")[0];
        Assert.Equal(string.Empty, a.GetProperty("a").GetString());
        var logs = kit.Logger.Collector.GetSnapshot().Where(r => r.Id.Id == 2003).ToList();
        Assert.Equal(3, logs.Count);
        Assert.All(logs, r => Assert.Equal(LogLevel.Warning, r.Level));
        Assert.Contains(logs, r => r.Message.Contains("event_properties.plna", StringComparison.Ordinal));
        Assert.All(kit.Logger.Collector.GetSnapshot(), r => Assert.DoesNotContain("secret", r.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Render_AbortMessage_ReturnsAbortedWithReason()
    {
        var kit = new TemplateTestKit();

        var outcome = kit.Render(
            """{% if tier != 'gold' %}{% abort_message('not a gold member') %}{% endif %}{"attributes":[{"external_id":"u"}]}""",
            """{"tier":"silver"}""");

        Assert.Equal("not a gold member", Assert.IsType<RenderOutcome.Aborted>(outcome).Reason);
    }

    [Theory]
    [InlineData("{% abort_message() %}", "")]
    [InlineData("{% abort_message %}", "")]
    [InlineData("{% abort_message(\"why: \" | append: reason) %}", "why: because")]
    [InlineData("{%- abort_message( 'trim' ) -%}", "trim")]
    public void Render_AbortMessageForms_AllAbort(string tag, string reason)
    {
        var outcome = new TemplateTestKit().Render(tag + """{"attributes":[]}""", """{"reason":"because"}""");

        Assert.Equal(reason, Assert.IsType<RenderOutcome.Aborted>(outcome).Reason);
    }

    [Fact]
    public void Render_NotAbortedWhenConditionFalse_Renders()
    {
        var outcome = new TemplateTestKit().Render(
            """{% if tier != 'gold' %}{% abort_message('not gold') %}{% endif %}{"attributes":[{"external_id":"u"}]}""",
            """{"tier":"gold"}""");

        Assert.IsType<RenderOutcome.Rendered>(outcome);
    }

    [Fact]
    public void Render_TooManySteps_FailsWithTheLimit()
    {
        var kit = new TemplateTestKit(new TemplateCatalogOptions { MaxSteps = 1_000 });

        var outcome = kit.Render("""{% for i in (1..100000) %}{% assign x = i %}{% endfor %}{"attributes":[]}""", "{}");

        var failed = Assert.IsType<RenderOutcome.Failed>(outcome);
        Assert.Equal("test-route", failed.Route);
        Assert.Equal("template 'test-route': the render exceeded its step or recursion limit (Templates:MaxSteps, Templates:MaxRecursion)", failed.Error);
    }

    [Fact]
    public void Render_OutputLongerThanLimit_Fails()
    {
        var kit = new TemplateTestKit(new TemplateCatalogOptions { MaxOutputChars = 1_000 });

        var outcome = kit.Render("""{"attributes":[{"external_id":"u","a":"{% for i in (1..500) %}xx{% endfor %}"}]}""", "{}");

        Assert.Contains("longer than the limit of 1000 characters", Assert.IsType<RenderOutcome.Failed>(outcome).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateOptions_Limits_AreHandedToFluid()
    {
        // Fluid applies MaxRecursion to include/render, which templates cannot use (there is no file provider).
        var options = BrazeLiquid.CreateOptions(new TemplateCatalogOptions { MaxSteps = 1234, MaxRecursion = 7 }, TimeProvider.System);

        Assert.Equal((1234, 7), (options.MaxSteps, options.MaxRecursion));
    }

    [Fact]
    public void Render_IncludeTag_FailsBecauseTemplatesCannotReadFiles()
    {
        var outcome = new TemplateTestKit().Render("""{% include 'other' %}{"attributes":[]}""", "{}");

        Assert.Contains("the render failed with FileNotFoundException", Assert.IsType<RenderOutcome.Failed>(outcome).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_PayloadNestedDeeperThan64_Fails()
    {
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 70)) + "1" + new string('}', 70);

        var failed = Assert.IsType<RenderOutcome.Failed>(new TemplateTestKit().Render("""{"attributes":[]}""", deep));

        Assert.Contains("the payload is not valid JSON", failed.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""not json""", "not valid JSON (rendered line 1")]
    [InlineData("""[1, 2]""", "is a JSON array, not a JSON object")]
    [InlineData("""{"a": 1} {"b": 2}""", "not valid JSON")]
    [InlineData("""{"attributes": {"external_id": "u"}}""", "'attributes' must be an array")]
    [InlineData("""{"attributes": [{"name": "x"}]}""", "attributes[0] has no identifier (external_id, braze_id, user_alias, email or phone)")]
    [InlineData("""{"events": [{"external_id": "", "name": "x"}]}""", "events[0] has an empty or non-string 'external_id'")]
    [InlineData("""{"purchases": [{"user_alias": {"alias_name": "a"}}]}""", "purchases[0] has a 'user_alias' without")]
    public void Render_InvalidUsersTrackBody_FailsNamingTheProblem(string body, string problem)
    {
        var failed = Assert.IsType<RenderOutcome.Failed>(new TemplateTestKit().Render(body, "{}"));

        Assert.StartsWith("template 'test-route': ", failed.Error, StringComparison.Ordinal);
        Assert.Contains(problem, failed.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("external_id")]
    [InlineData("braze_id")]
    [InlineData("email")]
    [InlineData("phone")]
    public void Render_UsersTrackObjectWithAnyIdentifier_Passes(string identifier)
    {
        var outcome = new TemplateTestKit().Render($$"""{"attributes": [{"{{identifier}}": "x", "a": 1}]}""", "{}");

        Assert.IsType<RenderOutcome.Rendered>(outcome);
    }

    [Fact]
    public void Render_UsersTrackWith76ObjectsAcrossArrays_Fails()
    {
        var body = """
            {"attributes":[{% for i in (1..40) %}{"external_id":"u{{ i }}"}{% unless forloop.last %},{% endunless %}{% endfor %}],
             "events":[{% for i in (1..36) %}{"external_id":"u{{ i }}","name":"e"}{% unless forloop.last %},{% endunless %}{% endfor %}]}
            """;

        var failed = Assert.IsType<RenderOutcome.Failed>(new TemplateTestKit().Render(body, "{}"));

        Assert.Contains("76 objects across attributes, events and purchases; Braze accepts at most 75", failed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_UsersTrackWith75Objects_Passes()
    {
        var body = """{"attributes":[{% for i in (1..75) %}{"external_id":"u{{ i }}"}{% unless forloop.last %},{% endunless %}{% endfor %}]}""";

        Assert.IsType<RenderOutcome.Rendered>(new TemplateTestKit().Render(body, "{}"));
    }

    [Theory]
    [InlineData("/canvas/trigger/send", "canvas_id", 51, "'recipients' has 51 entries; Braze accepts at most 50")]
    [InlineData("/campaigns/trigger/send", "campaign_id", 51, "'recipients' has 51 entries; Braze accepts at most 50")]
    [InlineData("/canvas/trigger/send", "canvas_id", 50, null)]
    public void Render_TriggerRecipients_AreLimited(string endpoint, string idField, int count, string? problem)
    {
        var body = $$$"""{"{{{idField}}}":"c","recipients":[{% for i in (1..{{{count}}}) %}{"external_user_id":"u{{ i }}"}{% unless forloop.last %},{% endunless %}{% endfor %}]}""";

        var outcome = new TemplateTestKit().Render(body, "{}", endpoint);

        if (problem is null)
        {
            Assert.IsType<RenderOutcome.Rendered>(outcome);
        }
        else
        {
            Assert.Contains(problem, Assert.IsType<RenderOutcome.Failed>(outcome).Error, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("""{"recipients":[{"external_user_id":"u"}]}""", "'canvas_id' is missing or empty")]
    [InlineData("""{"canvas_id":"c"}""", "must set \"broadcast\": true")]
    [InlineData("""{"canvas_id":"c","recipients":[{"external_user_id":"u","email":"a@b.c"}]}""", "recipients[0] must have exactly one of external_user_id, user_alias or email (has 2)")]
    [InlineData("""{"canvas_id":"c","recipients":[{"external_user_id":""}]}""", "recipients[0].external_user_id is empty")]
    public void Render_InvalidCanvasTrigger_Fails(string body, string problem)
    {
        var failed = Assert.IsType<RenderOutcome.Failed>(new TemplateTestKit().Render(body, "{}", "/canvas/trigger/send"));

        Assert.Contains(problem, failed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_CanvasBroadcastWithoutRecipients_Passes()
    {
        Assert.IsType<RenderOutcome.Rendered>(new TemplateTestKit().Render("""{"canvas_id":"c","broadcast":true}""", "{}", "/canvas/trigger/send"));
    }

    [Fact]
    public void Render_MissingUserIdInIdentifier_FailsAndNamesTheMissingVariable()
    {
        var failed = Assert.IsType<RenderOutcome.Failed>(new TemplateTestKit().Render("""{"attributes":[{"external_id":"{{${user_id}}}"}]}""", "{}"));

        Assert.Contains("attributes[0] has an empty or non-string 'external_id' (missing variables: user_id)", failed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_StringValueOutsideAJsonString_FailsWithoutQuotingTheValue()
    {
        var failed = Assert.IsType<RenderOutcome.Failed>(new TemplateTestKit().Render("""{"attributes":[{"external_id":"u","n":{{ v }}}]}""", """{"v":"1, \"x\": 2"}"""));

        Assert.Contains("is not a JSON number, true, false or null", failed.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("\"x\"", failed.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json", "the payload is not valid JSON")]
    [InlineData("[1]", "the payload is not a JSON object")]
    public void Render_BadPayload_Fails(string payload, string problem)
    {
        var failed = Assert.IsType<RenderOutcome.Failed>(new TemplateTestKit().Render("""{"attributes":[]}""", payload));

        Assert.Equal("template 'test-route': " + problem, failed.Error);
    }

    [Fact]
    public void Render_IdempotencyKeyTemplate_IsRenderedUnescapedAndTrimmed()
    {
        var kit = new TemplateTestKit();
        var template = TemplateTestKit.Template("""{"attributes":[{"external_id":"u"}]}""", idempotencyKey: " {{ ${user_id} }}-{{ event_properties.${plan} }} ");

        var rendered = Assert.IsType<RenderOutcome.Rendered>(kit.Render(template, """{"user_id":"a\"b","event_properties":{"plan":"gold"}}""", callerKey: "caller"));

        Assert.Equal("a\"b-gold", rendered.IdempotencyKey);
    }

    [Fact]
    public void Render_IdempotencyKeyExpression_IsEvaluated()
    {
        var template = TemplateTestKit.Template("""{"attributes":[{"external_id":"u"}]}""", idempotencyKey: "message_id | append: '-x'");

        Assert.Equal("msg-1-x", Assert.IsType<RenderOutcome.Rendered>(new TemplateTestKit().Render(template, "{}")).IdempotencyKey);
    }

    [Fact]
    public void Render_NoIdempotencyKeyInTemplate_UsesTheCallersKey()
    {
        var template = TemplateTestKit.Template("""{"attributes":[{"external_id":"u"}]}""");

        Assert.Equal("caller", Assert.IsType<RenderOutcome.Rendered>(new TemplateTestKit().Render(template, "{}", callerKey: "caller")).IdempotencyKey);
    }

    [Fact]
    public void Render_Body_IsCompactJson()
    {
        var rendered = Assert.IsType<RenderOutcome.Rendered>(new TemplateTestKit().Render("{\n  \"attributes\" : [ { \"external_id\" : \"é\" } ]\n}\n", "{}"));

        Assert.Equal("""{"attributes":[{"external_id":"é"}]}""", rendered.BodyJson);
    }

    [Fact]
    public void CatalogRenderer_UnknownRoute_Fails()
    {
        var catalog = TemplateCatalogTests.LoadShipped();
        var renderer = new CatalogWebhookRenderer(catalog, new TemplateTestKit().Renderer);

        var outcome = renderer.Render(new WebhookEnvelope(1, "m", "nope", TemplateTestKit.ReceivedAt, "{}", null, null, 0));

        Assert.Equal("nope", Assert.IsType<RenderOutcome.Failed>(outcome).Route);
    }

    [Fact]
    public void CatalogRenderer_KnownRouteAnyCase_RendersWithEnvelopeFacts()
    {
        var catalog = TemplateCatalogTests.LoadShipped();
        var renderer = new CatalogWebhookRenderer(catalog, new TemplateTestKit().Renderer);
        // Without a dispatch_id in the payload the shipped template's key renders empty: the envelope's header key is used.
        var envelope = new WebhookEnvelope(1, "msg-9", "Trigger-Canvas", TemplateTestKit.ReceivedAt, """{"user_id":"u","canvas_id":"c"}""", null, "header-9", 0);

        var rendered = Assert.IsType<RenderOutcome.Rendered>(renderer.Render(envelope));

        Assert.Equal("/canvas/trigger/send", rendered.Endpoint);
        Assert.Equal("header-9", rendered.IdempotencyKey);
        Assert.Equal("default", rendered.Workspace);
    }
}
