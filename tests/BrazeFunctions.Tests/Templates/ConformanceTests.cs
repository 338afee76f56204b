using System.Text.Json;
using BrazeFunctions.Core.Templates;
using Fluid;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.Tests.Templates;

/// <summary>
/// The conformance suite: Shopify Liquid's standard filter and tag tests (checked against Liquid 5.4.0) and the examples
/// of Braze's Liquid documentation, as data in Conformance/. Each case renders as its source says, or is a deliberate
/// difference that docs/templates.md lists with its reason (and that still differs, so the list stays true).
/// </summary>
public sealed class ConformanceTests
{
    private static readonly string[] Files = ["shopify-liquid-standard-filters.json", "shopify-liquid-tags.json", "braze-docs.json"];

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in Files)
        {
            foreach (var item in Load(file))
            {
                data.Add(file, item.GetProperty("name").GetString()!);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Render_ConformanceCase_MatchesItsSourceOrIsAListedDifference(string file, string name)
    {
        var item = Load(file).Single(c => c.GetProperty("name").GetString() == name);
        var outcome = Run(item);
        var expected = Expected(item);
        var matches = item.TryGetProperty("trim", out var trim) && trim.GetBoolean()
            ? outcome.Trim() == expected.Trim()
            : outcome == expected;

        if (item.TryGetProperty("difference", out var difference))
        {
            Assert.False(matches, $"{name} is listed as a deliberate difference but now renders as its source says; remove the listing");
            Assert.Contains(name, DeliberateDifferencesSection(), StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(difference.GetString()));
        }
        else
        {
            Assert.Equal(expected, matches ? expected : outcome);
        }
    }

    [Fact]
    public void Suite_Size_IsAsDocumented()
    {
        var total = Files.Sum(f => Load(f).Count);
        var differences = Files.Sum(f => Load(f).Count(c => c.TryGetProperty("difference", out _)));

        Assert.Contains($"{total} cases", DeliberateDifferencesSection(), StringComparison.Ordinal);
        Assert.Contains($"{differences} deliberate differences", DeliberateDifferencesSection(), StringComparison.Ordinal);
    }

    [Fact]
    public void Suite_ShopifyData_CarriesShopifysLicenseNotice()
    {
        var notice = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Templates", "Conformance", "LICENSE-shopify-liquid.txt"));

        Assert.Contains("Copyright (c) 2005, 2006 Tobias Luetke", notice, StringComparison.Ordinal);
        Assert.Contains("Permission is hereby granted, free of charge", notice, StringComparison.Ordinal);
    }

    /// <summary>What a case expects, in the same form <see cref="Run"/> reports what happened.</summary>
    private static string Expected(JsonElement item) =>
        item.TryGetProperty("error", out _) ? "<error>"
        : item.TryGetProperty("aborted", out var aborted) ? "<aborted: " + aborted.GetString() + ">"
        : item.GetProperty("expected").GetString()!;

    private static string Run(JsonElement item)
    {
        IFluidTemplate template;
        try
        {
            template = TemplateLoader.ParseLiquid(item.GetProperty("template").GetString()!, "case.liquid");
        }
        catch (TemplateLoadException)
        {
            return "<error>";
        }

        var options = BrazeLiquid.CreateOptions(new TemplateCatalogOptions(), new FakeTimeProvider(TemplateTestKit.ReceivedAt));
        var context = new TemplateContext(options);
        using var assigns = JsonDocument.Parse(item.GetProperty("assigns").GetRawText());
        var model = new JsonObjectIndexable(assigns.RootElement, string.Empty, null);
        foreach (var (key, value) in model.Properties)
        {
            context.SetValue(key, value);
        }

        // As the renderer does: Braze's ${name} reads the payload object.
        context.SetValue("payload", new JsonObjectValue(model));

        try
        {
            using var writer = new StringWriter();
            template.RenderAsync(writer, NullEncoder.Default, context).AsTask().GetAwaiter().GetResult();
            return writer.ToString();
        }
        catch (AbortMessageException ex)
        {
            return "<aborted: " + ex.Reason + ">";
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return "<error>";
        }
    }

    private static List<JsonElement> Load(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Templates", "Conformance", file)));
        return [.. document.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    private static string DeliberateDifferencesSection()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "docs", "templates.md")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        var docs = File.ReadAllText(Path.Combine(directory.FullName, "docs", "templates.md"));
        var start = docs.IndexOf("## Conformance", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/templates.md has no '## Conformance' section");
        var end = docs.IndexOf("\n## ", start + 3, StringComparison.Ordinal);
        return end < 0 ? docs[start..] : docs[start..end];
    }
}
