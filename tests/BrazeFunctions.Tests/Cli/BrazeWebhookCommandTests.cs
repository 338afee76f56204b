using System.Text.Json;
using System.Text.RegularExpressions;
using BrazeFunctions.Cli;
using BrazeFunctions.Core.Templates;
using BrazeFunctions.Tests.Templates;

namespace BrazeFunctions.Tests.Cli;

/// <summary><c>braze-webhook</c>: what to paste into Braze for a route.</summary>
public sealed partial class BrazeWebhookCommandTests : IDisposable
{
    private const string Secret = "relay-secret-Zr8Qm2Lp4";
    private readonly string _directory = Directory.CreateTempSubdirectory("cli-webhook-").FullName;
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        _out.Dispose();
        _error.Dispose();
    }

    [Fact]
    public async Task Run_AttributeFromEvent_PrintsUrlHeadersAndABodyWithEveryFieldTheTemplateReads()
    {
        var exit = await Run("braze-webhook", "attribute-from-event", "--app-url", "https://myrelay.azurewebsites.net", "--templates", TemplateTestKit.ShippedTemplatesDirectory, "-s", Settings());

        Assert.Equal(0, exit);
        var text = _out.ToString();
        Assert.Contains("  https://myrelay.azurewebsites.net/api/hooks/attribute-from-event", text, StringComparison.Ordinal);
        Assert.Contains("  x-functions-key: <function key>", text, StringComparison.Ordinal);
        Assert.Contains("  Content-Type: application/json", text, StringComparison.Ordinal);
        Assert.Contains("  Idempotency-Key: {{campaign.${dispatch_id}}}-{{${user_id} | md5}}", text, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Relay-Secret", text, StringComparison.Ordinal);
        using var body = JsonDocument.Parse(Body(text));
        Assert.Equal("{{${user_id} | json_escape}}", body.RootElement.GetProperty("user_id").GetString());
        Assert.Equal("{{campaign.${dispatch_id} | json_escape}}", body.RootElement.GetProperty("dispatch_id").GetString());
        Assert.Equal("{{event_properties.${plan} | json_escape}}", body.RootElement.GetProperty("event_properties").GetProperty("plan").GetString());
        Assert.Empty(Regex.Matches(_error.ToString(), "fill in:"));
    }

    [Fact]
    public async Task Run_BodyAsBrazeWouldFillIt_RendersWithNothingMissingAndPassesTheIngress()
    {
        await Run("braze-webhook", "attribute-from-event", "--templates", TemplateTestKit.ShippedTemplatesDirectory, "-s", Settings());
        // Braze replaces each {{...}} with a value; any value will do to see that the template finds every field.
        var filled = BrazeTag().Replace(Body(_out.ToString()), "value-1");
        var payload = Path.Combine(_directory, "filled.json");
        File.WriteAllText(payload, filled);
        _out.GetStringBuilder().Clear();
        _error.GetStringBuilder().Clear();

        var exit = await Run("render", "attribute-from-event", "--payload", payload, "--templates", TemplateTestKit.ShippedTemplatesDirectory, "-s", Settings());

        Assert.Equal(0, exit);
        Assert.DoesNotContain("missing", _error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("idempotency_key rendered empty", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SharedSecretSet_AddsItsHeaderWithAPlaceholderNeverTheSecret()
    {
        var exit = await Run("braze-webhook", "counter-increment", "--templates", TemplateTestKit.ShippedTemplatesDirectory,
            "-s", Settings(("Ingress__SharedSecret", Secret), ("Ingress__SecretHeader", "X-Braze-Relay")));

        Assert.Equal(0, exit);
        Assert.Contains("  X-Braze-Relay: <shared secret>", _out.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, _out.ToString() + _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CanvasTriggerInACanvasStep_NamesTheStepAndListsWhatToFillIn()
    {
        var exit = await Run("braze-webhook", "trigger-canvas", "--canvas", "--templates", TemplateTestKit.ShippedTemplatesDirectory, "-s", Settings());

        Assert.Equal(0, exit);
        var text = _out.ToString();
        Assert.Contains("Idempotency-Key: {{campaign.${api_id}}}-{{campaign.${dispatch_id}}}-{{${user_id} | md5}}", text, StringComparison.Ordinal);
        using var body = JsonDocument.Parse(Body(text));
        Assert.Equal("<canvas_id>", body.RootElement.GetProperty("canvas_id").GetString());
        Assert.Equal(JsonValueKind.Object, body.RootElement.GetProperty("canvas_entry_properties").ValueKind);
        Assert.Contains("fill in: canvas_id: no Braze tag is known for it", _error.ToString(), StringComparison.Ordinal);
        Assert.Contains("fill in: canvas_entry_properties: the template passes the whole object on", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AnonymousRoute_KeysTheDeliveryOnTheBrazeId()
    {
        var exit = await Run("braze-webhook", "attribute-from-event-anonymous", "--templates", TemplateTestKit.ShippedTemplatesDirectory, "-s", Settings());

        Assert.Equal(0, exit);
        Assert.Contains("Idempotency-Key: {{campaign.${dispatch_id}}}-{{${braze_id} | md5}}", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains("\"braze_id\": \"{{${braze_id} | json_escape}}\"", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_EveryShippedRoute_GivesABodyThatIsOneJsonObject()
    {
        foreach (var file in Directory.GetFiles(TemplateTestKit.ShippedTemplatesDirectory, "*" + TemplateLoader.Extension))
        {
            _out.GetStringBuilder().Clear();
            var exit = await Run("braze-webhook", file, "-s", Settings());

            Assert.Equal(0, exit);
            using var body = JsonDocument.Parse(Body(_out.ToString()));
            Assert.Equal(JsonValueKind.Object, body.RootElement.ValueKind);
        }
    }

    private static string Body(string output) => output[(output.IndexOf("Request body (Raw text):", StringComparison.Ordinal) + "Request body (Raw text):".Length)..].Trim();

    private string Settings(params (string Name, string Value)[] values)
    {
        var file = Path.Combine(_directory, "local.settings.json");
        File.WriteAllText(file, JsonSerializer.Serialize(new { IsEncrypted = false, Values = values.ToDictionary(v => v.Name, v => v.Value) }));
        return file;
    }

    private Task<int> Run(params string[] args) =>
        CliApp.RunAsync(args, new CliConsole(new StringReader(string.Empty), _out, _error, _directory), environment: new Dictionary<string, string?>());

    // A Braze tag runs from {{ to the }} that closes the JSON string it sits in.
    [GeneratedRegex(@"\{\{.*?\}\}(?="")")]
    private static partial Regex BrazeTag();
}
