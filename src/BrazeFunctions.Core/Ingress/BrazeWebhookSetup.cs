using System.Text;
using System.Text.Json;
using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.Configuration;

namespace BrazeFunctions.Core.Ingress;

/// <summary>One request header of the Braze webhook: its name, what to paste, and why.</summary>
public sealed record BrazeWebhookHeader(string Name, string Value, string Why);

/// <summary>
/// What to paste into a Braze webhook (campaign or Canvas step, Blank Template) so that it reaches a route and passes
/// the ingress: the URL, the headers (the function key, the shared secret when one is set, the <c>Idempotency-Key</c>
/// that lets the relay drop Braze's retries of a webhook it already queued) and a raw-text body holding every payload
/// field the route's template reads, each filled by Braze's Liquid with <c>| json_escape</c>. Fields for which no Braze
/// tag is known are listed in <see cref="FillIn"/> with a placeholder in the body. Never holds a key or a secret.
/// </summary>
public sealed record BrazeWebhookSetup(string Url, IReadOnlyList<BrazeWebhookHeader> Headers, string Body, IReadOnlyList<string> FillIn)
{
    /// <summary>The Idempotency-Key in a campaign: one dispatch to one user.</summary>
    public const string CampaignKey = "{{campaign.${dispatch_id}}}-{{${user_key} | md5}}";

    /// <summary>In a Canvas step a dispatch id can be shared by several users or be new per user: name the step too.</summary>
    public const string CanvasKey = "{{campaign.${api_id}}}-{{campaign.${dispatch_id}}}-{{${user_key} | md5}}";

    // Braze's own attributes read with ${name}.
    private static readonly HashSet<string> ProfileAttributes = new(StringComparer.Ordinal)
    {
        "user_id", "braze_id", "email_address", "first_name", "last_name", "phone_number", "city", "country", "language", "time_zone",
        "gender", "date_of_birth", "most_recent_app_version", "most_recent_locale",
    };

    // Objects whose members Braze reads with object.${name}.
    private static readonly HashSet<string> PropertyObjects = new(StringComparer.Ordinal)
    {
        "event_properties", "custom_attribute", "canvas_entry_properties", "api_trigger_properties", "context",
    };

    /// <param name="template">The route's template.</param>
    /// <param name="settings">The app's settings: <c>Ingress__SecretHeader</c>, and whether <c>Ingress__SharedSecret</c> is set.</param>
    /// <param name="appUrl">The Function App's base URL, e.g. <c>https://myrelay.azurewebsites.net</c>.</param>
    /// <param name="canvas">The webhook is a Canvas step (its Idempotency-Key names the step).</param>
    public static BrazeWebhookSetup For(WebhookTemplate template, IConfiguration settings, string appUrl, bool canvas)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(settings);
        var ingress = settings.GetSection(IngressOptions.Section).Get<IngressOptions>() ?? new IngressOptions();
        var paths = TemplateReferences.Of(template);
        var userKey = paths.Any(p => p[0] == "user_id") || !paths.Any(p => p[0] == "braze_id") ? "user_id" : "braze_id";
        var headers = new List<BrazeWebhookHeader>
        {
            new("Content-Type", "application/json", "the body is JSON"),
            new("x-functions-key", "<function key>", "the WebhookIngress function key (docs/deploy.md, 'Fetch and rotate the function key'); never ?code= in the URL"),
        };
        if (!string.IsNullOrEmpty(ingress.SharedSecret) || !string.IsNullOrEmpty(ingress.NextSharedSecret))
        {
            headers.Add(new(ingress.SecretHeader, "<shared secret>", "the value of Ingress__SharedSecret: a shared secret is set, so the ingress refuses a webhook without it"));
        }

        headers.Add(new(WebhookRequestValidator.IdempotencyKeyHeader, (canvas ? CanvasKey : CampaignKey).Replace("user_key", userKey, StringComparison.Ordinal),
            "names this delivery (one " + (canvas ? "Canvas step's dispatch" : "campaign dispatch") + " to one user), so a webhook Braze sends again is queued once"));
        var fillIn = new List<string>();
        var body = WriteBody(Tree(paths), fillIn);
        return new BrazeWebhookSetup($"{appUrl.TrimEnd('/')}/api/hooks/{template.Route}", headers, body, fillIn);
    }

    private static FieldNode Tree(IReadOnlyList<IReadOnlyList<string>> paths)
    {
        var root = new FieldNode();
        foreach (var path in paths)
        {
            var node = root;
            foreach (var segment in path)
            {
                if (!node.TryGetValue(segment, out var child))
                {
                    child = new FieldNode();
                    node[segment] = child;
                }

                node = child;
            }
        }

        return root;
    }

    private static string WriteBody(FieldNode tree, List<string> fillIn)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteObject(writer, tree, [], fillIn);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteObject(Utf8JsonWriter writer, FieldNode node, List<string> path, List<string> fillIn)
    {
        writer.WriteStartObject();
        foreach (var (name, children) in node)
        {
            path.Add(name);
            if (children.Count > 0 && !(path.Count == 1 && ProfileAttributes.Contains(name)))
            {
                writer.WritePropertyName(name);
                WriteObject(writer, children, path, fillIn);
            }
            else if (Tag(path) is { } tag)
            {
                writer.WriteString(name, "{{" + tag + " | json_escape}}");
            }
            else if (path.Count == 1 && PropertyObjects.Contains(name))
            {
                writer.WriteStartObject(name);
                writer.WriteEndObject();
                fillIn.Add($"{name}: the template passes the whole object on; list the properties it should carry, each as \"<name>\": \"{{{{{name}.${{<name>}} | json_escape}}}}\"");
            }
            else
            {
                writer.WriteString(name, $"<{string.Join('.', path)}>");
                fillIn.Add($"{string.Join('.', path)}: no Braze tag is known for it; write its value, or the Liquid that gives it, with | json_escape");
            }

            path.RemoveAt(path.Count - 1);
        }

        writer.WriteEndObject();
    }

    /// <summary>The Braze Liquid that gives a payload field, or null when none is known.</summary>
    private static string? Tag(List<string> path) => path switch
    {
        ["dispatch_id"] => "campaign.${dispatch_id}",
        [var name] when ProfileAttributes.Contains(name) => "${" + name + "}",
        [var parent, var name] when PropertyObjects.Contains(parent) => parent + ".${" + name + "}",
        _ => null,
    };
}

/// <summary>Payload fields in the order the template first reads them; a field with children is an object.</summary>
internal sealed class FieldNode : OrderedDictionary<string, FieldNode>
{
    public FieldNode()
        : base(StringComparer.Ordinal)
    {
    }
}
