using System.Text.Json;
using BrazeFunctions.Core;
using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace BrazeFunctions.Cli;

/// <summary>
/// The relay's own service wiring for the operator commands: the Core <c>AddRelayOperations</c> registrations the Function
/// App uses, configuration read like the app reads it (the <c>Values</c> of local.settings.json, then environment variables,
/// then the command's options) and console logging on standard error, so standard output stays the command's answer.
/// </summary>
internal static class CliServices
{
    public const string LocalSettingsFile = "local.settings.json";

    /// <param name="console">Where the command runs (its working directory is where settings and templates are looked for).</param>
    /// <param name="settingsFile">An explicit local.settings.json; otherwise the nearest one (see <see cref="FindLocalSettings"/>).</param>
    /// <param name="environment">Extra settings that override environment variables (tests).</param>
    /// <param name="overrides">The command's options, e.g. <c>AzureWebJobsStorage</c> from <c>--connection</c>; null values are ignored.</param>
    /// <param name="logging">Replaces the console logger (tests capture logs with it).</param>
    public static ServiceProvider Build(
        CliConsole console,
        string? settingsFile,
        IDictionary<string, string?>? environment,
        IDictionary<string, string?> overrides,
        Action<ILoggingBuilder>? logging)
    {
        var builder = new ConfigurationBuilder();
        var file = settingsFile is null ? FindLocalSettings(console.WorkingDirectory) : Path.GetFullPath(settingsFile, console.WorkingDirectory);
        if (file is not null)
        {
            builder.AddInMemoryCollection(ReadValues(file));
        }

        builder.AddEnvironmentVariables();
        builder.AddInMemoryCollection(environment ?? new Dictionary<string, string?>());
        builder.AddInMemoryCollection(overrides.Where(kv => kv.Value is not null));
        var configuration = builder.Build();
        if (string.IsNullOrWhiteSpace(configuration[$"{TemplateCatalogOptions.Section}:Directory"])
            && FindTemplatesDirectory(console.WorkingDirectory) is { } templates)
        {
            configuration[$"{TemplateCatalogOptions.Section}:Directory"] = templates;
        }

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(log =>
        {
            log.SetMinimumLevel(LogLevel.Information);
            log.AddFilter("Microsoft", LogLevel.Warning);
            if (logging is not null)
            {
                logging(log);
                return;
            }

            log.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
            log.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        });
        services.AddRelayOperations();
        return services.BuildServiceProvider();
    }

    /// <summary>local.settings.json in the working directory, else src/BrazeFunctions/local.settings.json at or above it.</summary>
    public static string? FindLocalSettings(string workingDirectory)
    {
        var here = Path.Combine(workingDirectory, LocalSettingsFile);
        if (File.Exists(here))
        {
            return here;
        }

        for (var dir = new DirectoryInfo(workingDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "BrazeFunctions", LocalSettingsFile);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The nearest templates/ folder holding *.liquid files at or above the working directory, or null.</summary>
    public static string? FindTemplatesDirectory(string workingDirectory)
    {
        for (var dir = new DirectoryInfo(workingDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "templates");
            if (Directory.Exists(candidate) && Directory.EnumerateFiles(candidate, "*" + TemplateLoader.Extension).Any())
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The <c>Values</c> of a local.settings.json, with <c>__</c> read as the section separator like the app does.</summary>
    /// <exception cref="CliSettingsException">The file cannot be read or is not a local.settings.json.</exception>
    internal static Dictionary<string, string?> ReadValues(string file)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (!document.RootElement.TryGetProperty("Values", out var values) || values.ValueKind != JsonValueKind.Object)
            {
                throw new CliSettingsException($"{file} has no \"Values\" object.");
            }

            return values.EnumerateObject()
                .Where(p => p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                .ToDictionary(p => p.Name.Replace("__", ":", StringComparison.Ordinal), p => (string?)(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText()), StringComparer.OrdinalIgnoreCase);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new CliSettingsException($"{file} cannot be read: {(ex is JsonException json ? $"not JSON (line {json.LineNumber + 1})" : ex.Message)}");
        }
    }
}

/// <summary>A settings file the CLI cannot use; the message names the file and the problem.</summary>
internal sealed class CliSettingsException(string message) : Exception(message);
