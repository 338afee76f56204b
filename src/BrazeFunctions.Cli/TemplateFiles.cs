using System.CommandLine;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Cli;

/// <summary>Finding, loading and reporting templates for the template commands (<c>render</c>, <c>validate</c>, <c>braze-webhook</c>).</summary>
internal static class TemplateFiles
{
    public const string SampleSuffix = ".sample.json";

    /// <summary>Loads a template file; on failure writes the error with file, line and column and returns null.</summary>
    internal static WebhookTemplate? TryLoad(CliConsole console, string file)
    {
        try
        {
            return TemplateLoader.LoadFile(file);
        }
        catch (TemplateLoadException ex)
        {
            WriteLoadError(console, ex);
            return null;
        }
    }

    internal static WebhookTemplateRenderer CreateRenderer() =>
        new(Options.Create(new TemplateCatalogOptions()), Options.Create(new BrazeRequestLimits()), TimeProvider.System, NullLogger<WebhookTemplateRenderer>.Instance);

    internal static Option<string?> TemplatesOption() =>
        new("--templates", "-t") { Description = "The templates folder. Defaults to the nearest templates/ folder at or above the current directory." };

    internal static string SamplePath(string templateFile) =>
        Path.Combine(Path.GetDirectoryName(templateFile)!, Path.GetFileNameWithoutExtension(templateFile) + SampleSuffix);

    internal static string? ResolveTemplateFile(CliConsole console, string routeOrFile, string? templatesDirectory)
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

    internal static void WriteLoadError(CliConsole console, TemplateLoadException ex) =>
        console.Error.WriteLine($"{ex.File}({ex.Line},{ex.Column}): error: route {Path.GetFileNameWithoutExtension(ex.File)}, line {ex.Line}, column {ex.Column}: {ex.Problem}");

    internal static void WriteRenderError(CliConsole console, WebhookTemplate template, RenderOutcome.Failed failed)
    {
        var position = failed.Line is { } line ? $"({line},{failed.Column ?? 1})" : string.Empty;
        var where = failed.Line is { } l ? $", line {l}, column {failed.Column ?? 1}" : string.Empty;
        console.Error.WriteLine($"{template.SourcePath}{position}: error: route {failed.Route}{where}: {failed.Error}");
    }
}
