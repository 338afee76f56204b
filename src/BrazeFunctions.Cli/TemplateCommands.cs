using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Cli;

/// <summary><c>render</c> and <c>validate</c>: what a template produces, before it is deployed.</summary>
internal static class TemplateCommands
{
    public const string SampleSuffix = ".sample.json";

    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command CreateRender(CliConsole console)
    {
        var template = new Argument<string>("route-or-file") { Description = "A route of the templates folder (e.g. trigger-canvas) or the path of a .liquid file." };
        var payload = new Option<string?>("--payload", "-p") { Description = "The webhook payload: a JSON file, or - to read standard input. Defaults to the template's <route>.sample.json." };
        var templates = TemplatesOption();
        var command = new Command("render", "Renders a template with a payload and prints {\"endpoint\": ..., \"body\": ...}. Exit 0 rendered, 2 template or validation error, 3 aborted.")
        {
            template,
            payload,
            templates,
        };
        command.SetAction(parse => Render(console, parse.GetRequiredValue(template), parse.GetValue(payload), parse.GetValue(templates)));
        return command;
    }

    public static Command CreateValidate(CliConsole console)
    {
        var templates = TemplatesOption();
        var settings = new Option<string?>("--settings", "-s")
        {
            Description = "A local.settings.json: also check that every template's workspace is configured in its Values (Braze__RestEndpoint and Braze__ApiKey are the workspace default; Braze__Workspaces__<name>__RestEndpoint and __ApiKey the others).",
        };
        var command = new Command("validate", "Parses every template and renders each with its <route>.sample.json; with --settings, checks every template's Braze workspace is configured. Exit 0 when all pass, 2 otherwise.")
        {
            templates,
            settings,
        };
        command.SetAction(parse => Validate(console, parse.GetValue(templates), parse.GetValue(settings)));
        return command;
    }

    internal static int Render(CliConsole console, string routeOrFile, string? payloadPath, string? templatesDirectory)
    {
        var file = ResolveTemplateFile(console, routeOrFile, templatesDirectory);
        if (file is null)
        {
            return ExitCodes.Usage;
        }

        WebhookTemplate template;
        try
        {
            template = TemplateLoader.LoadFile(file);
        }
        catch (TemplateLoadException ex)
        {
            WriteLoadError(console, ex);
            return ExitCodes.TemplateError;
        }

        payloadPath ??= SamplePath(file);
        string payloadJson;
        try
        {
            payloadJson = payloadPath == "-" ? console.In.ReadToEnd() : File.ReadAllText(Path.GetFullPath(payloadPath, console.WorkingDirectory));
        }
        catch (IOException ex)
        {
            console.Error.WriteLine($"error: cannot read the payload '{payloadPath}': {ex.Message}");
            return ExitCodes.Usage;
        }

        var outcome = CreateRenderer().Render(template, payloadJson, new RenderFacts("cli-" + Guid.NewGuid().ToString("N")[..12], TimeProvider.System.GetUtcNow(), null));
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
                WriteRenderError(console, template, failed);
                return ExitCodes.TemplateError;
            default:
                throw new InvalidOperationException($"Unknown outcome {outcome.GetType().Name}.");
        }
    }

    internal static int Validate(CliConsole console, string? templatesDirectory, string? settingsFile = null)
    {
        var directory = ResolveTemplatesDirectory(console, templatesDirectory);
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

        var renderer = CreateRenderer();
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
            WriteLoadError(console, ex);
            return false;
        }

        if (settings is not null && !settings.Workspaces.TryGet(template.Workspace, out _))
        {
            console.Error.WriteLine($"{file}: error: route {template.Route}: workspace '{template.Workspace}' is not configured in {settings.File} (configured: {settings.Configured}); " +
                $"add Braze__Workspaces__{template.Workspace}__RestEndpoint and Braze__Workspaces__{template.Workspace}__ApiKey, or change the template's workspace");
            return false;
        }

        var sample = SamplePath(file);
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
                WriteRenderError(console, template, failed);
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

    private static WebhookTemplateRenderer CreateRenderer() =>
        new(Options.Create(new TemplateCatalogOptions()), Options.Create(new BrazeRequestLimits()), TimeProvider.System, NullLogger<WebhookTemplateRenderer>.Instance);

    private static Option<string?> TemplatesOption() =>
        new("--templates", "-t") { Description = "The templates folder. Defaults to the nearest templates/ folder at or above the current directory." };

    private static string SamplePath(string templateFile) =>
        Path.Combine(Path.GetDirectoryName(templateFile)!, Path.GetFileNameWithoutExtension(templateFile) + SampleSuffix);

    private static string? ResolveTemplateFile(CliConsole console, string routeOrFile, string? templatesDirectory)
    {
        var asPath = Path.GetFullPath(routeOrFile, console.WorkingDirectory);
        if (File.Exists(asPath))
        {
            return asPath;
        }

        if (routeOrFile.EndsWith(TemplateLoader.Extension, StringComparison.OrdinalIgnoreCase) || routeOrFile.Contains('/', StringComparison.Ordinal))
        {
            console.Error.WriteLine($"error: template file '{routeOrFile}' does not exist");
            return null;
        }

        var directory = ResolveTemplatesDirectory(console, templatesDirectory);
        if (directory is null)
        {
            return null;
        }

        var file = Path.Combine(directory, routeOrFile + TemplateLoader.Extension);
        if (File.Exists(file))
        {
            return file;
        }

        var known = Directory.GetFiles(directory, "*" + TemplateLoader.Extension).Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);
        console.Error.WriteLine($"error: route '{routeOrFile}' has no template in '{directory}'. Known routes: {string.Join(", ", known)}");
        return null;
    }

    internal static string? ResolveTemplatesDirectory(CliConsole console, string? explicitDirectory)
    {
        if (explicitDirectory is not null)
        {
            var full = Path.GetFullPath(explicitDirectory, console.WorkingDirectory);
            if (Directory.Exists(full))
            {
                return full;
            }

            console.Error.WriteLine($"error: templates folder '{explicitDirectory}' does not exist");
            return null;
        }

        for (var dir = new DirectoryInfo(console.WorkingDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "templates");
            if (Directory.Exists(candidate) && Directory.EnumerateFiles(candidate, "*" + TemplateLoader.Extension).Any())
            {
                return candidate;
            }
        }

        console.Error.WriteLine($"error: no templates/ folder with *.liquid files at or above '{console.WorkingDirectory}'; pass --templates <dir>");
        return null;
    }

    private static void WriteLoadError(CliConsole console, TemplateLoadException ex) =>
        console.Error.WriteLine($"{ex.File}({ex.Line},{ex.Column}): error: route {Path.GetFileNameWithoutExtension(ex.File)}, line {ex.Line}, column {ex.Column}: {ex.Problem}");

    private static void WriteRenderError(CliConsole console, WebhookTemplate template, RenderOutcome.Failed failed)
    {
        var position = failed.Line is { } line ? $"({line},{failed.Column ?? 1})" : string.Empty;
        var where = failed.Line is { } l ? $", line {l}, column {failed.Column ?? 1}" : string.Empty;
        console.Error.WriteLine($"{template.SourcePath}{position}: error: route {failed.Route}{where}: {failed.Error}");
    }
}
