using System.Text.Json;
using BrazeFunctions.Cli;
using BrazeFunctions.Tests.Templates;

namespace BrazeFunctions.Tests.Cli;

public sealed class TemplateCommandsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cli-").FullName;
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        _out.Dispose();
        _error.Dispose();
    }

    [Fact]
    public async Task Render_RouteWithPayloadFile_PrintsEndpointAndBodyAndExitsZero()
    {
        var payload = Write("payload.json", """{"user_id":"u-7","event_properties":{"plan":"gold"}}""");

        var exit = await Run("", "render", "attribute-from-event", "--payload", payload, "--templates", TemplateTestKit.ShippedTemplatesDirectory);

        Assert.Equal(0, exit);
        using var printed = JsonDocument.Parse(_out.ToString());
        Assert.Equal("/users/track", printed.RootElement.GetProperty("endpoint").GetString());
        Assert.Equal("gold", printed.RootElement.GetProperty("body").GetProperty("attributes")[0].GetProperty("plan").GetString());
    }

    [Fact]
    public async Task Render_PayloadFromStandardInput_IsRead()
    {
        var exit = await Run("""{"user_id":"from-stdin"}""", "render", Path.Combine(TemplateTestKit.ShippedTemplatesDirectory, "counter-increment.liquid"), "--payload", "-");

        Assert.Equal(0, exit);
        Assert.Contains("\"external_id\": \"from-stdin\"", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_WithoutPayload_UsesTheSampleNextToTheTemplate()
    {
        var exit = await Run("", "render", "counter-increment-liquid", "--templates", TemplateTestKit.ShippedTemplatesDirectory);

        Assert.Equal(0, exit);
        Assert.Contains("\"your_attribute_count\": \"3\"", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_Aborted_PrintsTheReasonAndExitsThree()
    {
        var exit = await Run("""{"user_id":"u","event_properties":{}}""", "render", "attribute-from-event", "--payload", "-", "--templates", TemplateTestKit.ShippedTemplatesDirectory);

        Assert.Equal(3, exit);
        Assert.Equal("aborted: event property plan is missing", _out.ToString().Trim());
    }

    [Fact]
    public async Task Render_BrokenTemplate_WritesRouteLineAndColumnToStandardErrorAndExitsTwo()
    {
        var template = Write("broken.liquid", "---\nendpoint: /users/track\ndescription: d\n---\n{\n  \"a\": \"{{ ${user_id} | }}\"\n}");

        var exit = await Run("{}", "render", template, "--payload", "-");

        Assert.Equal(2, exit);
        Assert.Empty(_out.ToString());
        Assert.Contains("error: route broken, line 6, column 24: An identifier was expected after the '|' sign", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_ValidationError_WritesRouteToStandardErrorAndExitsTwo()
    {
        var exit = await Run("""{"canvas_id":"c"}""", "render", "trigger-canvas", "--payload", "-", "--templates", TemplateTestKit.ShippedTemplatesDirectory);

        Assert.Equal(2, exit);
        Assert.Contains("error: route trigger-canvas: template 'trigger-canvas': recipients[0].external_user_id is empty (missing variables: user_id)", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_UnknownRoute_ListsKnownRoutes()
    {
        var exit = await Run("{}", "render", "nope", "--payload", "-", "--templates", TemplateTestKit.ShippedTemplatesDirectory);

        Assert.Equal(1, exit);
        Assert.Contains("Known routes: attribute-from-event,", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_DefaultTemplatesFolder_IsFoundAboveTheWorkingDirectory()
    {
        var root = Directory.CreateDirectory(Path.Combine(_directory, "repo"));
        Directory.CreateDirectory(Path.Combine(root.FullName, "templates"));
        var nested = Directory.CreateDirectory(Path.Combine(root.FullName, "src", "deep"));
        File.Copy(Path.Combine(TemplateTestKit.ShippedTemplatesDirectory, "counter-increment.liquid"), Path.Combine(root.FullName, "templates", "counter-increment.liquid"));

        var exit = await RunIn(nested.FullName, """{"user_id":"u"}""", "render", "counter-increment", "--payload", "-");

        Assert.Equal(0, exit);
    }

    [Fact]
    public async Task Validate_ShippedTemplates_ExitsZero()
    {
        var exit = await Run("", "validate", "--templates", TemplateTestKit.ShippedTemplatesDirectory);

        Assert.Equal(0, exit);
        Assert.Contains("8 templates valid", _out.ToString(), StringComparison.Ordinal);
        Assert.Empty(_error.ToString());
    }

    [Fact]
    public async Task Validate_BrokenTemplateMissingSampleAndFailingSample_ReportsEachAndExitsNonZero()
    {
        Write("good.liquid", "---\nendpoint: /users/track\ndescription: d\n---\n{\"attributes\":[{\"external_id\":\"{{ id }}\"}]}");
        Write("good.sample.json", """{"id":"u"}""");
        Write("broken.liquid", "---\nendpoint: /users/track\ndescription: d\n---\n{% if %}");
        Write("no-sample.liquid", "---\nendpoint: /users/track\ndescription: d\n---\n{}");
        Write("bad-sample.liquid", "---\nendpoint: /users/track\ndescription: d\n---\n{\"attributes\":[{\"external_id\":\"{{ id }}\"}]}");
        Write("bad-sample.sample.json", "{}");

        var exit = await Run("", "validate", "--templates", _directory);

        Assert.Equal(2, exit);
        var errors = _error.ToString();
        Assert.Contains("error: route broken, line 5,", errors, StringComparison.Ordinal);
        Assert.Contains("route no-sample: no sample payload no-sample.sample.json", errors, StringComparison.Ordinal);
        Assert.Contains("route bad-sample: template 'bad-sample': attributes[0] has an empty or non-string 'external_id'", errors, StringComparison.Ordinal);
        Assert.Contains("ok    good -> /users/track", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains("3 of 4 templates failed", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_TemplateNamingAWorkspace_PrintsTheWorkspaceAndTheIdempotencyKey()
    {
        var exit = await Run("", "render", Path.Combine(TemplateTestKit.ShippedTemplatesDirectory, "examples", "sync-attribute-to-workspace.liquid"));

        Assert.Equal(0, exit);
        using var printed = JsonDocument.Parse(_out.ToString());
        Assert.Equal("brandb", printed.RootElement.GetProperty("workspace").GetString());
        Assert.Equal("66f0c2a9e4b1d3f5a7c9e0b8:user-123", printed.RootElement.GetProperty("idempotency_key").GetString());
        Assert.Empty(_error.ToString());
    }

    [Fact]
    public async Task Render_PayloadWithoutDispatchId_KeyIsNullAndANoteNamesTheFallback()
    {
        var exit = await Run("""{"user_id":"u-1"}""", "render", "counter-increment", "--payload", "-", "--templates", TemplateTestKit.ShippedTemplatesDirectory);

        Assert.Equal(0, exit);
        using var printed = JsonDocument.Parse(_out.ToString());
        Assert.Equal("default", printed.RootElement.GetProperty("workspace").GetString());
        Assert.Equal(JsonValueKind.Null, printed.RootElement.GetProperty("idempotency_key").ValueKind);
        Assert.Contains("idempotency_key rendered empty; the webhook's Idempotency-Key header, else the message id, is the dedupe key", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_SettingsWithoutTheTemplatesWorkspace_FailsNamingTheFileAndTheWorkspace()
    {
        var template = WriteWorkspaceTemplate("to-brandb", "brandb");
        var settings = WriteSettings(("Braze__RestEndpoint", "https://rest.fra-01.braze.eu"), ("Braze__ApiKey", SecretKey));

        var exit = await Run("", "validate", "--templates", _directory, "--settings", settings);

        Assert.Equal(2, exit);
        var errors = _error.ToString();
        Assert.Contains($"{template}: error: route to-brandb: workspace 'brandb' is not configured in {settings} (configured: default)", errors, StringComparison.Ordinal);
        Assert.Contains("Braze__Workspaces__brandb__RestEndpoint", errors, StringComparison.Ordinal);
        Assert.Contains("1 of 1 templates failed", _out.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(SecretKey, _out.ToString() + errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_SettingsConfiguringEveryWorkspace_ExitsZeroAndNamesEachTemplatesWorkspace()
    {
        WriteWorkspaceTemplate("to-brandb", "brandb");
        WriteWorkspaceTemplate("to-default", null);
        var settings = WriteSettings(
            ("Braze__RestEndpoint", "https://rest.fra-01.braze.eu"),
            ("Braze__ApiKey", SecretKey),
            ("Braze__Workspaces__brandb__RestEndpoint", "https://rest.iad-05.braze.com"),
            ("Braze__Workspaces__brandb__ApiKey", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/braze-api-key-brandb/)"));

        var exit = await Run("", "validate", "--templates", _directory, "--settings", settings);

        Assert.Equal(0, exit);
        Assert.Contains("ok    to-brandb -> /users/track (workspace brandb)", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains("ok    to-default -> /users/track (workspace default)", _out.ToString(), StringComparison.Ordinal);
        Assert.Empty(_error.ToString());
    }

    [Fact]
    public async Task Validate_WorkspaceWithoutAnEndpoint_ReportsTheSettingAndTheTemplate()
    {
        WriteWorkspaceTemplate("to-brandb", "brandb");
        var settings = WriteSettings(("Braze__RestEndpoint", "https://rest.fra-01.braze.eu"), ("Braze__ApiKey", "k"), ("Braze__Workspaces__brandb__ApiKey", SecretKey));

        var exit = await Run("", "validate", "--templates", _directory, "--settings", settings);

        Assert.Equal(2, exit);
        var errors = _error.ToString();
        Assert.Contains($"{settings}: error: Braze:Workspaces:brandb:RestEndpoint is required for workspace 'brandb'", errors, StringComparison.Ordinal);
        Assert.Contains("route to-brandb: workspace 'brandb' is not configured", errors, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretKey, _out.ToString() + errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_SettingsFileWithoutValues_ExitsOneNamingTheFile()
    {
        WriteWorkspaceTemplate("to-default", null);
        var settings = Write("bad.settings.json", """{"IsEncrypted": false}""");

        var exit = await Run("", "validate", "--templates", _directory, "--settings", settings);

        Assert.Equal(1, exit);
        Assert.Contains($"{settings} has no \"Values\" object", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_PayloadWithADuplicateKey_IsRefusedAsTheIngressWouldWithLineAndByte()
    {
        var exit = await Run("{\n  \"user_id\": \"u-1\",\n  \"user_id\": \"u-2\"\n}", "render", "counter-increment", "--payload", "-", "--templates", TemplateTestKit.ShippedTemplatesDirectory);

        Assert.Equal(ExitCodes.TemplateError, exit);
        Assert.Empty(_out.ToString());
        Assert.Contains("standard input: error: the ingress would refuse this payload with 400 duplicate_key", _error.ToString(), StringComparison.Ordinal);
        Assert.Contains("(line 3, byte 3)", _error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"user_id\": \"u-1\",\n \"plan\": }", "400 invalid_json", "at line 2, byte 10")]
    [InlineData("{\"user_id\": \"\\udc00\"}", "400 invalid_unicode_escape", "(line 1, byte 13)")]
    [InlineData("[{\"user_id\": \"u-1\"}]", "400 not_an_object", "it is a JSON array")]
    public async Task Render_PayloadTheIngressRefuses_NamesTheProblemAndWhere(string payload, string error, string where)
    {
        var file = Write("payload.json", payload);

        var exit = await Run("", "render", "counter-increment", "--payload", file, "--templates", TemplateTestKit.ShippedTemplatesDirectory);

        Assert.Equal(ExitCodes.TemplateError, exit);
        Assert.Contains($"{file}: error: the ingress would refuse this payload with {error}", _error.ToString(), StringComparison.Ordinal);
        Assert.Contains(where, _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_PayloadOverTheSettingsLimit_Is413AsAtTheIngress()
    {
        var settings = WriteSettings(("Ingress__MaxBodyBytes", "20"));

        var exit = await Run("""{"user_id":"a-user-id-that-is-long"}""", "render", "counter-increment", "--payload", "-", "-s", settings, "--templates", TemplateTestKit.ShippedTemplatesDirectory);

        Assert.Equal(ExitCodes.TemplateError, exit);
        Assert.Contains("413 payload_too_large: The request body is larger than 20 bytes", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void RenderHelp_DescribesWhatItPrints()
    {
        var render = TemplateCommands.CreateRender(new CliConsole(TextReader.Null, TextWriter.Null, TextWriter.Null, _directory));

        Assert.Contains("\"workspace\"", render.Description, StringComparison.Ordinal);
        Assert.Contains("\"idempotency_key\"", render.Description, StringComparison.Ordinal);
        Assert.Contains("ingress's own checks", render.Description, StringComparison.Ordinal);
    }

    private const string SecretKey = "sk-cli-test-4Jd8Qw2Zr7";

    private string WriteWorkspaceTemplate(string route, string? workspace)
    {
        var line = workspace is null ? string.Empty : $"workspace: {workspace}\n";
        Write(route + ".sample.json", """{"id":"u"}""");
        return Write(route + ".liquid", $"---\nendpoint: /users/track\ndescription: d\n{line}---\n{{\"attributes\":[{{\"external_id\":\"{{{{ id }}}}\"}}]}}");
    }

    private string WriteSettings(params (string Name, string Value)[] values)
    {
        var settings = new Dictionary<string, object> { ["IsEncrypted"] = false, ["Values"] = values.ToDictionary(v => v.Name, v => v.Value) };
        return Write("local.settings.json", JsonSerializer.Serialize(settings));
    }

    private Task<int> Run(string stdin, params string[] args) => RunIn(_directory, stdin, args);

    private Task<int> RunIn(string workingDirectory, string stdin, params string[] args) =>
        CliApp.RunAsync(args, new CliConsole(new StringReader(stdin), _out, _error, workingDirectory));

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }
}
