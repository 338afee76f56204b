using BrazeFunctions.Cli;
using BrazeFunctions.Core.Templates;

namespace BrazeFunctions.Tests.Templates;

/// <summary>Every shipped template renders its sample payload to its golden file; their keys name a delivery, never a value.</summary>
public sealed class ShippedTemplatesTests
{
    private const string Dispatch = "66f0c2a9e4b1d3f5a7c9e0b2";

    /// <summary>Templates the app loads: every route of templates/.</summary>
    private static readonly string[] AppRoutes =
    [
        "attribute-from-event",
        "attribute-from-event-anonymous",
        "counter-increment",
        "counter-increment-liquid",
        "trigger-canvas",
        "trigger-campaign",
        "identify-user",
        "subscription-status",
    ];

    /// <summary>Every shipped template, the examples under templates/examples/ (not loaded by the app) included.</summary>
    public static TheoryData<string> AllTemplates() => new([.. AppRoutes, "examples/sync-attribute-to-workspace"]);

    /// <summary>Each route with a payload whose fields name one delivery, and the user part of its key.</summary>
    public static TheoryData<string, string, string> RoutesWithAPayload() => new()
    {
        { "attribute-from-event", """{"user_id":"u-1","event_properties":{"plan":"gold"}}""", "u-1" },
        { "attribute-from-event-anonymous", """{"braze_id":"b-1","event_properties":{"plan":"gold"}}""", "b-1" },
        { "counter-increment", """{"user_id":"u-1"}""", "u-1" },
        { "counter-increment-liquid", """{"user_id":"u-1","custom_attribute":{"your_attribute_count":4}}""", "u-1" },
        { "trigger-canvas", """{"user_id":"u-1","canvas_id":"c-1"}""", "u-1" },
        { "trigger-campaign", """{"user_id":"u-1","campaign_id":"k-1"}""", "u-1" },
        { "identify-user", """{"user_id":"u-1","alias_name":"a-1","alias_label":"l"}""", "u-1" },
        { "subscription-status", """{"user_id":"u-1","subscription_group_id":"g-1"}""", "u-1" },
        { "examples/sync-attribute-to-workspace", """{"user_id":"u-1","custom_attribute":{"plan":"gold"}}""", "u-1" },
    };

    public static TheoryData<string, string> Payloads()
    {
        var payloads = new TheoryData<string, string>();
        foreach (var row in RoutesWithAPayload())
        {
            payloads.Add(row.Data.Item1, row.Data.Item2);
        }

        return payloads;
    }

    [Theory]
    [MemberData(nameof(AllTemplates))]
    public void Render_SamplePayload_MatchesGoldenFile(string path)
    {
        var template = Load(path);
        var sample = File.ReadAllText(Path.Combine(TemplateTestKit.ShippedTemplatesDirectory, path + ".sample.json"));

        var rendered = Assert.IsType<RenderOutcome.Rendered>(new TemplateTestKit().Render(template, sample));

        var golden = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Templates", "Golden", Path.GetFileName(path) + ".json"));
        Assert.Equal(golden.ReplaceLineEndings("\n").TrimEnd(), TemplateCommands.FormatRequest(template, rendered).ReplaceLineEndings("\n"));
        Assert.Empty(rendered.MissingVariables);
    }

    [Theory]
    [MemberData(nameof(RoutesWithAPayload))]
    public void Render_PayloadWithDispatchId_KeyIsTheDispatchAndTheUser(string path, string payload, string user)
    {
        var rendered = Assert.IsType<RenderOutcome.Rendered>(new TemplateTestKit().Render(Load(path), WithDispatch(payload, Dispatch)));

        Assert.Equal($"{Dispatch}:{user}", rendered.IdempotencyKey);
        Assert.Empty(rendered.MissingVariables);
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public void Render_PayloadWithoutDispatchId_KeyIsEmptySoTheHeaderOrMessageIdIsUsed(string path, string payload)
    {
        var kit = new TemplateTestKit();
        var template = Load(path);

        var alone = Assert.IsType<RenderOutcome.Rendered>(kit.Render(template, payload));
        var withHeader = Assert.IsType<RenderOutcome.Rendered>(kit.Render(template, payload, callerKey: "header-key"));

        Assert.Null(alone.IdempotencyKey);
        // An absent field is not a typo: nothing is reported missing.
        Assert.Empty(alone.MissingVariables);
        Assert.Equal("header-key", withHeader.IdempotencyKey);
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public void Render_EmptyOrPlaceholderDispatchId_KeyIsEmpty(string path, string payload)
    {
        var template = Load(path);
        // An empty dispatch id would give all of a user's webhooks one key; Braze's test sends carry its placeholder.
        string[] payloads =
        [
            WithDispatch(payload, string.Empty),
            WithDispatch(payload, "   "),
            WithDispatch(payload, "dispatch_id_for_unsent_campaign"),
            payload[..^1] + ",\"dispatch_id\":null}",
        ];

        Assert.All(payloads, p => Assert.Null(Assert.IsType<RenderOutcome.Rendered>(new TemplateTestKit().Render(template, p)).IdempotencyKey));
    }

    [Fact]
    public void Render_AttributeFromEventPlanChangedBackAndForth_EachDeliveryHasItsOwnKey()
    {
        // A -> B -> A within the dedupe window: three deliveries, three keys (a key on user + plan would drop the third).
        var kit = new TemplateTestKit();
        var template = Load("attribute-from-event");
        string? KeyOf(string dispatch, string plan, string messageId) =>
            Assert.IsType<RenderOutcome.Rendered>(kit.Renderer.Render(
                template,
                WithDispatch($$$"""{"user_id":"u-1","event_properties":{"plan":"{{{plan}}}"}}""", dispatch),
                new RenderFacts(messageId, TemplateTestKit.ReceivedAt, null))).IdempotencyKey;

        string?[] keys = [KeyOf("d-1", "a", "msg-1"), KeyOf("d-2", "b", "msg-2"), KeyOf("d-3", "a", "msg-3")];

        Assert.Equal(3, keys.Distinct().Count());
        // Braze retrying the first webhook reaches the relay as a new message: same delivery, same key.
        Assert.Equal(keys[0], KeyOf("d-1", "a", "msg-4"));
    }

    [Fact]
    public void Load_ShippedTemplates_TheAppsRoutesUseTheDefaultWorkspaceAndTheExampleNamesBrandb()
    {
        var catalog = TemplateCatalog.LoadDirectory(TemplateTestKit.ShippedTemplatesDirectory);

        // The app loads templates/ only, so a fresh start with the sample settings (one workspace) works.
        Assert.Equal(AppRoutes.Order(StringComparer.Ordinal), catalog.Keys.Order(StringComparer.Ordinal));
        Assert.All(catalog.Values, t => Assert.Equal(WebhookTemplate.DefaultWorkspace, t.Workspace));
        Assert.Equal("brandb", Load("examples/sync-attribute-to-workspace").Workspace);
    }

    [Fact]
    public void Render_SyncAttributeToWorkspaceWithoutTheAttribute_Aborts()
    {
        var outcome = new TemplateTestKit().Render(Load("examples/sync-attribute-to-workspace"), """{"user_id":"u-1","custom_attribute":{"plan":""}}""");

        Assert.Equal("custom attribute plan is missing or empty", Assert.IsType<RenderOutcome.Aborted>(outcome).Reason);
    }

    [Theory]
    [InlineData("attribute-from-event", """{"user_id":"u-1","event_properties":{"plan":12}}""", 12)]
    [InlineData("attribute-from-event", """{"user_id":"u-1","event_properties":{"plan":true}}""", true)]
    public void Render_AttributeFromEvent_KeepsTheEventPropertyType(string route, string payload, object expected)
    {
        var template = Load(route);

        var rendered = Assert.IsType<RenderOutcome.Rendered>(new TemplateTestKit().Render(template, payload));

        Assert.Contains("\"plan\":" + System.Text.Json.JsonSerializer.Serialize(expected), rendered.BodyJson, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_AttributeFromEventWithoutTheProperty_Aborts()
    {
        var template = Load("attribute-from-event");

        var aborted = Assert.IsType<RenderOutcome.Aborted>(new TemplateTestKit().Render(template, """{"user_id":"u-1","event_properties":{}}"""));

        Assert.Equal("event property plan is missing", aborted.Reason);
    }

    [Fact]
    public void Render_TriggerCanvasWithoutEntryProperties_OmitsThemWithoutReportingAMissingVariable()
    {
        var template = Load("trigger-canvas");

        var rendered = Assert.IsType<RenderOutcome.Rendered>(new TemplateTestKit().Render(template, """{"user_id":"u-1","canvas_id":"c-1"}"""));

        Assert.Equal("""{"canvas_id":"c-1","recipients":[{"external_user_id":"u-1"}]}""", rendered.BodyJson);
        Assert.Empty(rendered.MissingVariables);
    }

    private static WebhookTemplate Load(string path) =>
        TemplateLoader.LoadFile(Path.Combine(TemplateTestKit.ShippedTemplatesDirectory, path + TemplateLoader.Extension));

    private static string WithDispatch(string payload, string dispatch) =>
        payload[..^1] + ",\"dispatch_id\":" + System.Text.Json.JsonSerializer.Serialize(dispatch) + "}";
}
