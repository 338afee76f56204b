using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Messages;
using Fluid;
using Fluid.Values;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Templates;

/// <summary>Facts about the webhook's receipt that templates can read as <c>message_id</c> and <c>received_at</c>.</summary>
public readonly record struct RenderFacts(string MessageId, DateTimeOffset ReceivedAt, string? IdempotencyKey);

/// <summary>
/// Renders one template with one payload: a new <see cref="TemplateContext"/> per render, JSON-safe output, the Braze
/// limits checked on the result. Never throws for a bad template or payload: every problem becomes an outcome.
/// </summary>
public sealed class WebhookTemplateRenderer
{
    internal const string MissingKey = "relay.missing";

    private static readonly JsonDocumentOptions PayloadOptions = new() { MaxDepth = 64 };
    private static readonly JsonWriterOptions BodyWriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly TemplateCatalogOptions _limits;
    private readonly BrazeRequestLimits _requestLimits;
    private readonly TemplateOptions _fluidOptions;
    private readonly ILogger _logger;

    public WebhookTemplateRenderer(IOptions<TemplateCatalogOptions> options, IOptions<BrazeRequestLimits> requestLimits, TimeProvider timeProvider, ILogger<WebhookTemplateRenderer> logger)
    {
        _limits = options.Value;
        _requestLimits = requestLimits.Value;
        _fluidOptions = BrazeLiquid.CreateOptions(_limits, timeProvider);
        _logger = logger;
    }

    public RenderOutcome Render(WebhookTemplate template, string payloadJson, RenderFacts facts)
    {
        var outcome = RenderCore(template, payloadJson, facts);
        // Aborts and failures are outcomes the dispatcher logs with the delivery's context (events 3006, 3016); only what
        // the outcome does not carry on its own, a typo'd variable name, is logged here.
        if (outcome is RenderOutcome.Rendered rendered)
        {
            foreach (var name in rendered.MissingVariables)
            {
                Log.TemplateVariableMissing(_logger, template.Route, name, facts.MessageId);
            }
        }

        return outcome;
    }

    private RenderOutcome RenderCore(WebhookTemplate template, string payloadJson, RenderFacts facts)
    {
        JsonDocument payload;
        try
        {
            payload = JsonDocument.Parse(payloadJson, PayloadOptions);
        }
        catch (JsonException)
        {
            return Fail(template, "the payload is not valid JSON");
        }

        using (payload)
        {
            if (payload.RootElement.ValueKind != JsonValueKind.Object)
            {
                return Fail(template, "the payload is not a JSON object");
            }

            var missing = new MissingVariables();
            var writer = new JsonSafeWriter(_limits.MaxOutputChars);
            string? key;
            try
            {
                var context = CreateContext(template, payload.RootElement, facts, missing);

                // The writer completes synchronously, so the render normally finishes inside this call.
                var pending = template.Body.RenderAsync(writer, new JsonSafeEncoder(writer), context);
                if (!pending.IsCompletedSuccessfully)
                {
                    pending.AsTask().GetAwaiter().GetResult();
                }

                key = template.IdempotencyKey is null ? null : template.IdempotencyKey.Render(context, NullEncoder.Default).Trim();
            }
            catch (AbortMessageException ex)
            {
                return new RenderOutcome.Aborted(ex.Reason.Length > 500 ? ex.Reason[..500] : ex.Reason);
            }
            catch (TemplateRenderException ex)
            {
                return Fail(template, ex.Message, missing);
            }
            catch (InvalidOperationException ex) when (ex.Message.StartsWith("The maximum", StringComparison.Ordinal))
            {
                // Fluid reports both its step and its recursion limit with the recursion message.
                return Fail(template, "the render exceeded its step or recursion limit (Templates:MaxSteps, Templates:MaxRecursion)", missing);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Messages of filters and the runtime can quote the data they choked on: name only the exception type.
                return Fail(template, $"the render failed with {ex.GetType().Name} (include and render tags cannot read files; check filters and their arguments)", missing);
            }

            return Validate(template, writer.ToString(), string.IsNullOrEmpty(key) ? facts.IdempotencyKey : key, missing);
        }
    }

    private TemplateContext CreateContext(WebhookTemplate template, JsonElement root, RenderFacts facts, MissingVariables missing)
    {
        var context = new TemplateContext(_fluidOptions);
        context.AmbientValues[MissingKey] = missing;
        context.Undefined = name =>
        {
            missing.Add(name);
            return new ValueTask<FluidValue>(NilValue.Instance);
        };

        var model = new JsonObjectIndexable(root, string.Empty, missing);
        foreach (var (name, value) in model.Properties)
        {
            context.SetValue(name, value);
        }

        // Set last so that a payload field of the same name cannot hide them; such fields stay reachable as payload.x.
        context.SetValue("payload", new JsonObjectValue(model));
        context.SetValue("route", StringValue.Create(template.Route));
        context.SetValue("message_id", StringValue.Create(facts.MessageId));
        context.SetValue("received_at", StringValue.Create(facts.ReceivedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)));
        return context;
    }

    private RenderOutcome Validate(WebhookTemplate template, string text, string? idempotencyKey, MissingVariables missing)
    {
        JsonDocument body;
        try
        {
            body = JsonDocument.Parse(text, PayloadOptions);
        }
        catch (JsonException ex)
        {
            return Fail(template, $"the rendered body is not valid JSON (rendered line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})", missing);
        }

        using (body)
        {
            if (BrazeRequestValidator.Validate(template.Endpoint, body.RootElement, _requestLimits) is { } problem)
            {
                return Fail(template, problem, missing);
            }

            using var buffer = new MemoryStream(text.Length);
            using (var writer = new Utf8JsonWriter(buffer, BodyWriterOptions))
            {
                body.RootElement.WriteTo(writer);
            }

            var compact = System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
            return new RenderOutcome.Rendered(template.Endpoint, compact, idempotencyKey) { MissingVariables = missing.Names };
        }
    }

    private static RenderOutcome.Failed Fail(WebhookTemplate template, string problem, MissingVariables? missing = null)
    {
        var hint = missing is { Names.Count: > 0 } ? $" (missing variables: {string.Join(", ", missing.Names)})" : string.Empty;
        return new RenderOutcome.Failed(template.Route, $"template '{template.Route}': {problem}{hint}");
    }
}

/// <summary>The <see cref="IWebhookRenderer"/> of the relay: the envelope's route picks the template from the catalog.</summary>
internal sealed class CatalogWebhookRenderer(TemplateCatalog catalog, WebhookTemplateRenderer renderer) : IWebhookRenderer
{
    public RenderOutcome Render(WebhookEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        if (!catalog.TryGet(envelope.Route, out var template))
        {
            return new RenderOutcome.Failed(envelope.Route, $"no template for route '{envelope.Route}' in the catalog");
        }

        var outcome = renderer.Render(template, envelope.PayloadJson, new RenderFacts(envelope.Id, envelope.ReceivedAt, envelope.IdempotencyKey));
        return outcome is RenderOutcome.Rendered rendered
            ? rendered with { Workspace = template.Workspace, Coalesce = template.Coalesce, OnAmbiguous = template.OnAmbiguous }
            : outcome;
    }
}
