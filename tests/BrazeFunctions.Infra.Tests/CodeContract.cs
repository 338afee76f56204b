using System.ComponentModel.DataAnnotations;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace BrazeFunctions.Infra.Tests;

/// <summary>What the code expects of its deployment, read from the code and the repository: option sections and their
/// required settings, queue triggers, function names and routes, and the instruments the meter publishes.</summary>
internal static partial class CodeContract
{
    public static IEnumerable<(string Key, string Value)> SampleSettings(string root)
    {
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "local.settings.sample.json")))?["Values"]?.AsObject();
        Assert.NotNull(sample);
        return sample.Select(p => (p.Key, p.Value?.ToString() ?? string.Empty));
    }

    /// <summary>Settings of options classes marked [Required] whose default does not satisfy the attribute.</summary>
    public static IEnumerable<string> RequiredOptionSettings()
    {
        foreach (var type in OptionTypes())
        {
            var defaults = Activator.CreateInstance(type);
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.GetCustomAttribute<RequiredAttribute>() is null || !property.CanWrite)
                {
                    continue;
                }

                var value = property.GetValue(defaults);
                if (value is null || (value is string text && string.IsNullOrWhiteSpace(text)))
                {
                    yield return $"{SectionOf(type)}__{property.Name}";
                }
            }
        }
    }

    /// <summary>Whether binding <paramref name="sampleValue"/> to the option <paramref name="key"/> gives the code's default.</summary>
    public static bool SampleValueIsCodeDefault(string key, string sampleValue)
    {
        var parts = key.Split("__");
        if (parts.Length != 2)
        {
            return false;
        }

        // Several option classes may bind one section (Dispatch: pacing, coalescing and retry options): take the one with the property.
        var type = OptionTypes().FirstOrDefault(t => SectionOf(t) == parts[0] && t.GetProperty(parts[1], BindingFlags.Public | BindingFlags.Instance) is not null);
        var property = type?.GetProperty(parts[1], BindingFlags.Public | BindingFlags.Instance);
        if (type is null || property is null || !property.CanWrite)
        {
            return false;
        }

        var bound = Activator.CreateInstance(type)!;
        new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [$"{parts[0]}:{parts[1]}"] = sampleValue })
            .Build()
            .GetSection(parts[0])
            .Bind(bound);
        return Equals(property.GetValue(bound), property.GetValue(Activator.CreateInstance(type)));
    }

    public static IEnumerable<(string Setting, string Connection)> QueueTriggers(string root)
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "src", "BrazeFunctions"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (Match trigger in QueueTrigger().Matches(File.ReadAllText(file)))
            {
                var connection = trigger.Groups["connection"].Success ? trigger.Groups["connection"].Value : "AzureWebJobsStorage";
                yield return (trigger.Groups["setting"].Value, connection);
            }
        }
    }

    public static Dictionary<string, string> FunctionSources(string root) =>
        Directory.EnumerateFiles(Path.Combine(root, "src", "BrazeFunctions", "Functions"), "*.cs")
            .ToDictionary(f => Path.GetFileName(f), File.ReadAllText, StringComparer.Ordinal);

    /// <summary>Every source file of src/BrazeFunctions.Core, wherever its folder puts it.</summary>
    public static IEnumerable<string> CoreSources(string root) =>
        Directory.EnumerateFiles(Path.Combine(root, "src", "BrazeFunctions.Core"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    public static HashSet<string> PublishedInstruments()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new RelayMetrics(services.GetRequiredService<IMeterFactory>());
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (ReferenceEquals(instrument.Meter, metrics.Meter))
                {
                    names.Add(instrument.Name);
                }
            },
        };
        listener.Start();
        return names;
    }

    [GeneratedRegex(@"\[Function\(""(?<name>[^""]+)""\)\]")]
    public static partial Regex FunctionName();

    [GeneratedRegex(@"Route\s*=\s*""(?<route>[^""]+)""")]
    public static partial Regex RouteValue();

    private static IEnumerable<Type> OptionTypes() =>
        typeof(OutboxOptions).Assembly.GetTypes().Where(t =>
            t is { IsClass: true, IsAbstract: false }
            && t.GetConstructor(Type.EmptyTypes) is not null
            && t.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true });

    private static string SectionOf(Type optionsType) => (string)optionsType.GetField("Section")!.GetRawConstantValue()!;

    [GeneratedRegex(@"QueueTrigger\(\s*""%(?<setting>[^""%]+)%""(?:\s*,\s*Connection\s*=\s*""(?<connection>[^""]+)"")?")]
    private static partial Regex QueueTrigger();
}
