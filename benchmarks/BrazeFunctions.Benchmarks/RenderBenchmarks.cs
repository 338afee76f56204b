using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Benchmarks;

/// <summary>
/// Renders each shipped template with its sample payload, next to the floor any relay pays for the same payload:
/// parsing it with JsonDocument and serialising it again.
/// </summary>
[MemoryDiagnoser]
public class RenderBenchmarks
{
    private WebhookTemplate _template = null!;
    private WebhookTemplateRenderer _renderer = null!;
    private string _payload = null!;
    private RenderFacts _facts;

    [ParamsSource(nameof(Routes))]
    public string Route { get; set; } = string.Empty;

    public static IEnumerable<string> Routes() =>
        Directory.GetFiles(TemplatesDirectory, "*.liquid").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!;

    private static string TemplatesDirectory => Path.Combine(AppContext.BaseDirectory, "templates");

    public static IConfig CreateConfig() => ManualConfig.Create(DefaultConfig.Instance)
        // In-process: the benchmark runs in this already-built, optimised process instead of generating and building a project.
        .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
        .AddColumn(StatisticColumn.OperationsPerSecond)
        .AddExporter(MarkdownExporter.GitHub)
        .WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));

    [GlobalSetup]
    public void Setup()
    {
        _template = TemplateLoader.LoadFile(Path.Combine(TemplatesDirectory, Route + ".liquid"));
        _payload = File.ReadAllText(Path.Combine(TemplatesDirectory, Route + ".sample.json"));
        _renderer = new WebhookTemplateRenderer(Options.Create(new TemplateCatalogOptions()), Options.Create(new BrazeRequestLimits()), TimeProvider.System, NullLogger<WebhookTemplateRenderer>.Instance);
        _facts = new RenderFacts("bench", TimeProvider.System.GetUtcNow(), null);
        if (Render() is not RenderOutcome.Rendered)
        {
            throw new InvalidOperationException($"{Route} does not render its sample payload.");
        }
    }

    [Benchmark(Baseline = true, Description = "JsonDocument.Parse + serialise (floor)")]
    public int ParseAndSerialise()
    {
        using var document = JsonDocument.Parse(_payload);
        var buffer = new ArrayBufferWriter<byte>(_payload.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            document.RootElement.WriteTo(writer);
        }

        return buffer.WrittenCount;
    }

    [Benchmark(Description = "Render template")]
    public RenderOutcome Render() => _renderer.Render(_template, _payload, _facts);
}
