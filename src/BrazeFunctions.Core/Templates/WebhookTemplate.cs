using BrazeFunctions.Core.Braze;
using Fluid;

namespace BrazeFunctions.Core.Templates;

/// <summary>One parsed route template: its target endpoint, its body and its optional idempotency key.</summary>
public sealed record WebhookTemplate(
    string Route,
    string Endpoint,
    string Description,
    string SourcePath,
    IFluidTemplate Body,
    IFluidTemplate? IdempotencyKey)
{
    /// <summary>The workspace a template sends to when its front matter names none.</summary>
    public const string DefaultWorkspace = "default";

    /// <summary>The Braze workspace (front matter <c>workspace</c>) whose endpoint, key and rate limit this route uses.</summary>
    public string Workspace { get; init; } = DefaultWorkspace;

    /// <summary>False when the front matter says <c>coalesce: false</c>: every request of this route is sent alone.</summary>
    public bool Coalesce { get; init; } = true;

    /// <summary>
    /// Front matter <c>on_ambiguous</c>: what to do when Braze may or may not have applied a request. Null means the default
    /// for the rendered body (see <c>AmbiguityPolicy</c>).
    /// </summary>
    public AmbiguousOutcomePolicy? OnAmbiguous { get; init; }
}

/// <summary>A template that cannot be loaded, with the position of the problem in the file (1-based).</summary>
public sealed class TemplateLoadException(string file, int line, int column, string problem)
    : Exception($"{file}({line},{column}): {problem}")
{
    public string File { get; } = file;

    public int Line { get; } = line;

    public int Column { get; } = column;

    public string Problem { get; } = problem;
}

/// <summary>Start-up failure: one or more templates are broken; each is listed with file, line and column.</summary>
public sealed class TemplateCatalogException(string directory, IReadOnlyList<TemplateLoadException> errors, string? problem = null)
    : Exception(problem ?? $"{errors.Count} template(s) in '{directory}' cannot be loaded:{Environment.NewLine}" +
        string.Join(Environment.NewLine, errors.Select(e => "  " + e.Message)))
{
    public string Directory { get; } = directory;

    public IReadOnlyList<TemplateLoadException> Errors { get; } = errors;
}
