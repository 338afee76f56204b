using System.ComponentModel.DataAnnotations;

namespace BrazeFunctions.Core.Templates;

/// <summary>Where the route templates live and the limits every render runs under (section <c>Templates</c>).</summary>
public sealed class TemplateCatalogOptions
{
    public const string Section = "Templates";

    /// <summary>Folder of <c>&lt;route&gt;.liquid</c> files; defaults to <c>templates</c> next to the application.</summary>
    public string? Directory { get; set; }

    /// <summary>Statements one render may execute; stops runaway loops.</summary>
    [Range(100, 10_000_000)]
    public int MaxSteps { get; set; } = 100_000;

    /// <summary>Nesting depth of includes and blocks.</summary>
    [Range(1, 100)]
    public int MaxRecursion { get; set; } = 32;

    /// <summary>Largest rendered body in characters. Braze accepts request bodies up to 4 MB.</summary>
    [Range(1_000, 4_000_000)]
    public int MaxOutputChars { get; set; } = 1_000_000;

    internal string ResolveDirectory() =>
        string.IsNullOrWhiteSpace(Directory) ? Path.Combine(AppContext.BaseDirectory, "templates") : Path.GetFullPath(Directory);
}
