using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.Configuration;

namespace BrazeFunctions.Cli;

/// <summary><c>render</c> and <c>validate</c>: what a template produces, before it is deployed.</summary>
internal static class TemplateCommands
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command CreateRender(CliConsole console)
    {
        var template = new Argument<string>("route-or-file") { Description = "A route of the templates folder (e.g. trigger-canvas) or the path of a .liquid file." };
        var payload = new Option<string?>("--payload", "-p") { Description = "The webhook payload: a JSON file, or - to read standard input. Defaults to the template's <route>.sample.json." };
        var templates = TemplateFiles.TemplatesOption();
        var settings = StorageOptions.SettingsOption("A local.settings.json whose Ingress__MaxBodyBytes limits the payload, as at the ingress; defaults to the nearest one (./local.settings.json, else src/BrazeFunctions/local.settings.json above).");
        var command = new Command("render",
            "Renders a template with a payload and prints the Braze request it becomes: {\"workspace\": ..., \"endpoint\": ..., \"idempotency_key\": ... or null, \"body\": {...}}. " +
            "The payload first passes the ingress's own checks (size, UTF-8, one JSON object, no duplicate key, no lone surrogate; a syntax error names its line and byte). " +
            "Exit 0 rendered, 1 usage, 2 template or payload error, 3 aborted by the template.")
        {
            template,
            payload,
            templates,
            settings,
        };
        command.SetAction(parse => Render(console, parse.GetRequiredValue(template), parse.GetValue(payload), parse.GetValue(templates), parse.GetValue(settings)));
        return command;
    }

    public static Command CreateValidate(CliConsole console)
    {
        var templates = TemplateFiles.TemplatesOption();
        var settings = StorageOptions.SettingsOption(
            "A local.settings.json: also check that every template's workspace is configured in its Values (Braze__RestEndpoint and Braze__ApiKey are the workspace default; Braze__Workspaces__<name>__RestEndpoint and __ApiKey the others).");
        var command = new Command("validate", "Parses every template and renders each with its <route>.sample.json; with --settings, checks every template's Braze workspace is configured. Exit 0 when all pass, 2 otherwise.")
        {
            templates,
            settings,
        };
        command.SetAction(parse => Validate(console, parse.GetValue(templates), parse.GetValue(settings)));
        return command;
    }

    internal static int Render(CliConsole console, string routeOrFile, string? payloadPath, string? templatesDirectory, string? settingsFile = null)
    {
        var file = TemplateFiles.ResolveTemplateFile(console, routeOrFile, templatesDirectory);
        if (file is null || MaxBodyBytes(console, settingsFile) is not { } maxBytes)
        {
            return ExitCodes.Usage;
        }

        if (TemplateFiles.TryLoad(console, file) is not { } template)
        {
            return ExitCodes.TemplateError;
        }

        payloadPath ??= TemplateFiles.SamplePath(file);
        byte[] payload;
        try
        {
            payload = payloadPath == "-" ? Encoding.UTF8.GetBytes(console.In.ReadToEnd()) : File.ReadAllBytes(Path.GetFullPath(payloadPath, console.WorkingDirectory));
        }
        catch (IOException ex)
        {
            console.Error.WriteLine($"error: cannot read the payload '{payloadPath}': {ex.Message}");
            return ExitCodes.Usage;
        }

        // The same checks as the ingress: a payload that renders here is one the relay would have queued.
        if (WebhookBodyCheck.Check(payload, null, maxBytes, out var body) is { } problem)
        {
            console.Error.WriteLine($"{(payloadPath == "-" ? "standard input" : payloadPath)}: error: the ingress would refuse this payload with {problem.Status} {problem.Error}: {problem.Message}");
            return ExitCodes.TemplateError;
        }

        var outcome = TemplateFiles.CreateRenderer().Render(template, body!.Text, new RenderFacts("cli-" + Guid.NewGuid().ToString("N")[..12], TimeProvider.System.GetUtcNow(), null));
        return WriteOutcome(console, template, outcome);
    }

    private static int WriteOutcome(CliConsole console, WebhookTemplate template, RenderOutcome outcome)
    {
        switch (outcome)
        {
            case RenderOutcome.Rendered rendered:
                console.Out.WriteLine(FormatRequest(template, rendered));
                foreach (var name in rendered.MissingVariables)
                {
                    console.Error.WriteLine($"warning: route {template.Route}: variable '{name}' is missing from the payload and rendered empty");
                }

                if (rendered.IdempotencyKey is null)
                {
                    console.Error.WriteLine($"note: route {template.Route}: {(template.IdempotencyKey is null ? "the template has no idempotency_key" : "the template's idempotency_key rendered empty")}; the webhook's Idempotency-Key header, else the message id, is the dedupe key");
                }

                return ExitCodes.Ok;
            case RenderOutcome.Aborted aborted:
                console.Out.WriteLine($"aborted: {aborted.Reason}");
                return ExitCodes.Aborted;
            case RenderOutcome.Failed failed:
                TemplateFiles.WriteRenderError(console, template, failed);
                return ExitCodes.TemplateError;
            default:
                throw new InvalidOperationException($"Unknown outcome {outcome.GetType().Name}.");
        }
    }

    /// <summary>The ingress's body limit from the settings file given, else the nearest one, else the default; null (and an error) when a given file is unusable.</summary>
    private static int? MaxBodyBytes(CliConsole console, string? settingsFile)
    {
        var file = settingsFile is null ? CliServices.FindLocalSettings(console.WorkingDirectory) : Path.GetFullPath(settingsFile, console.WorkingDirectory);
        try
        {
            var values = file is null ? new Dictionary<string, string?>() : CliServices.ReadValues(file);
            return WebhookBodyCheck.MaxBodyBytes(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        }
        catch (CliSettingsException ex) when (settingsFile is not null)
        {
            console.Error.WriteLine("error: " + ex.Message);
            return null;
        }
        catch (CliSettingsException)
        {
            // A broken local.settings.json found by looking around is not what the author asked about: the default limit applies.
            return WebhookBodyCheck.MaxBodyBytes(new ConfigurationBuilder().Build());
        }
    }

    internal static int Validate(CliConsole console, string? templatesDirectory, string? settingsFile = null)
    {
        var directory = TemplateFiles.ResolveTemplatesDirectory(console, templatesDirectory);
        if (directory is null)
        {
            return ExitCodes.Usage;
        }

        WorkspaceSettings? settings = null;
        if (settingsFile is not null)
        {
            try
            {
                settings = WorkspaceSettings.Read(settingsFile, console.WorkingDirectory);
            }
            catch (CliSettingsException ex)
            {
                console.Error.WriteLine($"error: {ex.Message}");
                return ExitCodes.Usage;
            }

            foreach (var problem in settings.Problems)
            {
                console.Error.WriteLine($"{settings.File}: error: {problem}");
            }
        }

        var files = Directory.GetFiles(directory, "*" + TemplateLoader.Extension).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            console.Error.WriteLine($"error: no *.liquid templates in '{directory}'");
            return ExitCodes.TemplateError;
        }

        var renderer = TemplateFiles.CreateRenderer();
        var failures = 0;
        foreach (var file in files)
        {
            if (!ValidateOne(console, renderer, file, settings))
            {
                failures++;
            }
        }

        console.Out.WriteLine(failures == 0
            ? $"{files.Count} templates valid in {directory}"
            : $"{failures} of {files.Count} templates failed in {directory}");
        if (settings is { Problems.Count: > 0 })
        {
            console.Out.WriteLine($"{settings.Problems.Count} problem(s) in the Braze settings of {settings.File}");
        }

        return failures == 0 && settings is not { Problems.Count: > 0 } ? ExitCodes.Ok : ExitCodes.TemplateError;
    }

    private static bool ValidateOne(CliConsole console, WebhookTemplateRenderer renderer, string file, WorkspaceSettings? settings)
    {
        WebhookTemplate template;
        try
        {
            template = TemplateLoader.LoadFile(file);
        }
        catch (TemplateLoadException ex)
        {
            TemplateFiles.WriteLoadError(console, ex);
            return false;
        }

        if (settings is not null && !settings.Workspaces.TryGet(template.Workspace, out _))
        {
            console.Error.WriteLine($"{file}: error: route {template.Route}: workspace '{template.Workspace}' is not configured in {settings.File} (configured: {settings.Configured}); " +
                $"add Braze__Workspaces__{template.Workspace}__RestEndpoint and Braze__Workspaces__{template.Workspace}__ApiKey, or change the template's workspace");
            return false;
        }

        var sample = TemplateFiles.SamplePath(file);
        if (!File.Exists(sample))
        {
            console.Error.WriteLine($"{file}: error: route {template.Route}: no sample payload {Path.GetFileName(sample)} next to the template");
            return false;
        }

        var outcome = renderer.Render(template, File.ReadAllText(sample), new RenderFacts("cli-validate", TimeProvider.System.GetUtcNow(), null));
        switch (outcome)
        {
            case RenderOutcome.Rendered rendered:
                console.Out.WriteLine($"ok    {template.Route} -> {rendered.Endpoint} (workspace {template.Workspace})");
                foreach (var name in rendered.MissingVariables)
                {
                    console.Error.WriteLine($"warning: route {template.Route}: the sample payload has no '{name}'");
                }

                return true;
            case RenderOutcome.Aborted aborted:
                console.Error.WriteLine($"{file}: error: route {template.Route}: the sample payload aborted the render: {aborted.Reason}");
                return false;
            case RenderOutcome.Failed failed:
                TemplateFiles.WriteRenderError(console, template, failed);
                return false;
            default:
                return false;
        }
    }

    /// <summary>
    /// What the relay would do with the rendered request: the Braze workspace it goes to, the endpoint, the dedupe key the
    /// template gave (null: the webhook's Idempotency-Key header, else the message id, is used) and the body.
    /// </summary>
    internal static string FormatRequest(WebhookTemplate template, RenderOutcome.Rendered rendered)
    {
        using var body = JsonDocument.Parse(rendered.BodyJson);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Indented))
        {
            writer.WriteStartObject();
            writer.WriteString("workspace", template.Workspace);
            writer.WriteString("endpoint", rendered.Endpoint);
            writer.WriteString("idempotency_key", rendered.IdempotencyKey);
            writer.WritePropertyName("body");
            body.RootElement.WriteTo(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

}
