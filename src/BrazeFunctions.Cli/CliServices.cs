using System.Text.Json;
using BrazeFunctions.Core;
using BrazeFunctions.Core.Storage;
using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace BrazeFunctions.Cli;

/// <summary>
/// The settings a command runs with, and where its storage connection came from (for the line the CLI prints).
/// </summary>
/// <param name="Configuration">The merged settings.</param>
/// <param name="File">The local.settings.json read, or null.</param>
/// <param name="StorageSource">Where the storage connection came from, e.g. <c>the environment (AzureWebJobsStorage__queueServiceUri)</c>.</param>
/// <param name="StorageDescription">What it points at, without keys.</param>
internal sealed record CliSettings(IConfigurationRoot Configuration, string? File, string StorageSource, string StorageDescription)
{
    /// <summary>One line for standard error: which storage, from where.</summary>
    public string Describe() => $"storage: {StorageDescription}; from {StorageSource}";
}

/// <summary>
/// The relay's own service wiring for the operator commands: the Core <c>AddRelayOperations</c> registrations the Function
/// App uses, with settings read like the Functions host reads them and console logging on standard error, so standard
/// output stays the command's answer. Settings come from three sources, each overriding the one before: the <c>Values</c>
/// of local.settings.json, environment variables (the host too lets the environment win over that file), then the
/// command's options. The storage connection is the exception to setting-by-setting merging: it is taken whole from the
/// highest source that sets it in any form, so a connection string in local.settings.json can never silently win over
/// an identity-based <c>AzureWebJobsStorage__queueServiceUri</c> in the environment.
/// </summary>
internal static class CliServices
{
    public const string LocalSettingsFile = "local.settings.json";

    /// <param name="console">Where the command runs (its working directory is where settings and templates are looked for).</param>
    /// <param name="settingsFile">An explicit local.settings.json; otherwise the nearest one (see <see cref="FindLocalSettings"/>).</param>
    /// <param name="environment">Extra settings that override environment variables (tests).</param>
    /// <param name="options">The command's options, e.g. <c>AzureWebJobsStorage</c> from <c>--connection</c>; null values are ignored.</param>
    /// <exception cref="CliSettingsException">The settings file is missing or unreadable.</exception>
    public static CliSettings Read(CliConsole console, string? settingsFile, IDictionary<string, string?>? environment, IReadOnlyDictionary<string, string?> options)
    {
        var file = settingsFile is null ? FindLocalSettings(console.WorkingDirectory) : Path.GetFullPath(settingsFile, console.WorkingDirectory);
        if (file is not null && !System.IO.File.Exists(file))
        {
            throw new CliSettingsException($"{file} does not exist.");
        }

        // Extra variables are read as environment variables are: __ separates sections.
        var extra = (environment ?? new Dictionary<string, string?>()).Select(kv => new KeyValuePair<string, string?>(kv.Key.Replace("__", ":", StringComparison.Ordinal), kv.Value));
        var environmentValues = new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(extra).Build()
            .AsEnumerable().Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);
        var optionValues = options.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);
        // Highest first.
        var layers = new List<(string Source, Dictionary<string, string?> Values)>
        {
            ("command-line options", optionValues),
            ("the environment", environmentValues),
            (file is null ? "no local.settings.json" : file, file is null ? new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase) : ReadValues(file)),
        };

        var connection = layers.Select(l => l.Values.GetValueOrDefault($"{OutboxOptions.Section}:Connection")).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v)) ?? "AzureWebJobsStorage";
        var keys = StorageConnectionSettings.Keys(connection);
        var winner = layers.FindIndex(l => StorageConnectionSettings.IsSet(new ConfigurationBuilder().AddInMemoryCollection(l.Values).Build(), connection));
        var builder = new ConfigurationBuilder();
        for (var i = layers.Count - 1; i >= 0; i--)
        {
            var values = i == winner || winner < 0 ? layers[i].Values : layers[i].Values.Where(kv => !keys.Contains(kv.Key, StringComparer.OrdinalIgnoreCase));
            builder.AddInMemoryCollection(values);
        }

        var configuration = builder.Build();
        if (string.IsNullOrWhiteSpace(configuration[$"{TemplateCatalogOptions.Section}:Directory"])
            && FindTemplatesDirectory(console.WorkingDirectory) is { } templates)
        {
            configuration[$"{TemplateCatalogOptions.Section}:Directory"] = templates;
        }

        var source = winner < 0 ? "nowhere" : Source(layers[winner].Source, layers[winner].Values, keys);
        return new CliSettings(configuration, file, source, StorageConnectionSettings.Describe(configuration, connection));
    }

    /// <param name="settings">What <see cref="Read"/> returned.</param>
    /// <param name="logging">Replaces the console logger (tests capture logs with it).</param>
    public static ServiceProvider Build(CliSettings settings, Action<ILoggingBuilder>? logging)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(settings.Configuration);
        services.AddLogging(log =>
        {
            log.SetMinimumLevel(LogLevel.Information);
            log.AddFilter("Microsoft", LogLevel.Warning);
            log.AddFilter("Azure", LogLevel.Warning);
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

    private static string Source(string layer, Dictionary<string, string?> values, IReadOnlyList<string> keys)
    {
        var set = keys.Where(k => !string.IsNullOrWhiteSpace(values.GetValueOrDefault(k))).ToList();
        var names = string.Join(", ", set.Select(k => k.Replace(":", "__", StringComparison.Ordinal)));
        return layer switch
        {
            "command-line options" => $"the command line ({string.Join(", ", set.Select(StorageOptions.OptionFor))})",
            "the environment" => $"the environment ({names})",
            _ => $"{layer} ({names})",
        };
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
