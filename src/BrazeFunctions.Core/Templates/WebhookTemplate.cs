using Fluid;

namespace BrazeFunctions.Core.Templates;

/// <summary>One parsed route template: its target endpoint, its body and its optional idempotency key.</summary>
internal sealed record WebhookTemplate(
    string Route,
    string Endpoint,
    string Description,
    string SourcePath,
    IFluidTemplate Body,
    IFluidTemplate? IdempotencyKey);

/// <summary>A template that cannot be loaded, with the position of the problem in the file (1-based).</summary>
internal sealed class TemplateLoadException(string file, int line, int column, string problem)
    : Exception($"{file}({line},{column}): {problem}")
{
    public string File { get; } = file;

    public int Line { get; } = line;

    public int Column { get; } = column;

    public string Problem { get; } = problem;
}

/// <summary>Start-up failure: one or more templates are broken; each is listed with file, line and column.</summary>
internal sealed class TemplateCatalogException(string directory, IReadOnlyList<TemplateLoadException> errors, string? problem = null)
    : Exception(problem ?? $"{errors.Count} template(s) in '{directory}' cannot be loaded:{Environment.NewLine}" +
        string.Join(Environment.NewLine, errors.Select(e => "  " + e.Message)))
{
    public string Directory { get; } = directory;

    public IReadOnlyList<TemplateLoadException> Errors { get; } = errors;
}
