using System.Text.Json;
using System.Text.RegularExpressions;
using BrazeFunctions.Core.Braze;
using Fluid;

namespace BrazeFunctions.Core.Templates;

/// <summary>
/// Reads a <c>&lt;route&gt;.liquid</c> file: a front matter block between <c>---</c> lines (endpoint, description,
/// optional idempotency_key) and the Liquid body. Every problem is reported with the file's own line and column.
/// </summary>
public static partial class TemplateLoader
{
    public const string Extension = ".liquid";

    public static WebhookTemplate LoadFile(string path)
    {
        var route = Path.GetFileNameWithoutExtension(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException ex)
        {
            throw new TemplateLoadException(path, 1, 1, $"cannot be read: {ex.Message}");
        }

        return Load(route, path, text);
    }

    public static WebhookTemplate Load(string route, string file, string text)
    {
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }

        if (!RouteName().IsMatch(route))
        {
            throw new TemplateLoadException(file, 1, 1, $"'{route}' is not a valid route name (lower-case letters, digits, '-' and '_')");
        }

        var lines = text.Split('\n');
        if (lines.Length == 0 || lines[0].TrimEnd() != "---")
        {
            throw new TemplateLoadException(file, 1, 1, "the template must start with a front matter block: a '---' line, 'endpoint: /users/track', 'description: ...', and a closing '---' line");
        }

        var close = Array.FindIndex(lines, 1, l => l.TrimEnd() == "---");
        if (close < 0)
        {
            throw new TemplateLoadException(file, 1, 1, "the front matter block opened on line 1 is not closed by a '---' line");
        }

        string? endpoint = null, description = null, idempotency = null;
        var workspace = WebhookTemplate.DefaultWorkspace;
        var coalesce = true;
        AmbiguousOutcomePolicy? onAmbiguous = null;
        int endpointLine = 0, endpointColumn = 0, keyLine = 0, keyColumn = 0;
        for (var i = 1; i < close; i++)
        {
            var line = lines[i];
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new TemplateLoadException(file, i + 1, 1, "front matter lines have the form 'key: value'");
            }

            var key = line[..colon].Trim();
            var valueColumn = colon + 2 + (line.Length - colon - 1 - line[(colon + 1)..].TrimStart().Length);
            var value = Unquote(line[(colon + 1)..].Trim(), file, i + 1, valueColumn);
            switch (key)
            {
                case "endpoint":
                    (endpoint, endpointLine, endpointColumn) = (value, i + 1, valueColumn);
                    break;
                case "description":
                    description = value;
                    break;
                case "idempotency_key":
                    // Columns inside the key count from its first character, after an opening quote.
                    (idempotency, keyLine, keyColumn) = (value, i + 1, valueColumn + (line[(valueColumn - 1)..].StartsWith('"') || line[(valueColumn - 1)..].StartsWith('\'') ? 1 : 0));
                    break;
                case "workspace":
                    workspace = WorkspaceName().IsMatch(value)
                        ? value
                        : throw new TemplateLoadException(file, i + 1, valueColumn, $"workspace '{value}' is not a valid workspace name (a lower-case letter, then up to 23 lower-case letters or digits)");
                    break;
                case "coalesce":
                    coalesce = value switch
                    {
                        "true" => true,
                        "false" => false,
                        _ => throw new TemplateLoadException(file, i + 1, valueColumn, $"coalesce must be true or false (got '{value}')"),
                    };
                    break;
                case "on_ambiguous":
                    onAmbiguous = value switch
                    {
                        "retry" => AmbiguousOutcomePolicy.Retry,
                        "dead_letter" => AmbiguousOutcomePolicy.DeadLetter,
                        _ => throw new TemplateLoadException(file, i + 1, valueColumn, $"on_ambiguous must be retry or dead_letter (got '{value}')"),
                    };
                    break;
                default:
                    throw new TemplateLoadException(file, i + 1, 1, $"unknown front matter key '{key}' (known: endpoint, description, idempotency_key, workspace, coalesce, on_ambiguous)");
            }
        }

        if (string.IsNullOrEmpty(endpoint))
        {
            throw new TemplateLoadException(file, 1, 1, "the front matter has no 'endpoint' (the Braze REST path, e.g. /users/track)");
        }

        if (!BrazeEndpoints.Allowed.Contains(endpoint))
        {
            throw new TemplateLoadException(file, endpointLine, endpointColumn,
                $"endpoint '{endpoint}' is not allowed; use one of {string.Join(", ", BrazeEndpoints.Allowed.Order(StringComparer.Ordinal))}");
        }

        if (string.IsNullOrWhiteSpace(description))
        {
            throw new TemplateLoadException(file, 1, 1, "the front matter has no 'description' (one line saying what the template does)");
        }

        var bodyFirstLine = close + 2;
        var body = string.Join('\n', lines.Skip(close + 1));
        if (body.Trim().Length == 0)
        {
            throw new TemplateLoadException(file, bodyFirstLine, 1, "the template has no body after the front matter");
        }

        var bodyTemplate = Parse(body, file, (line, column) => (line + bodyFirstLine - 1, column));

        IFluidTemplate? keyTemplate = null;
        if (!string.IsNullOrWhiteSpace(idempotency))
        {
            var isTemplate = idempotency.Contains("{{", StringComparison.Ordinal) || idempotency.Contains("{%", StringComparison.Ordinal);
            var source = isTemplate ? idempotency : "{{ " + idempotency + " }}";
            var shift = isTemplate ? 0 : 3;
            keyTemplate = Parse(source, file, (_, column) => (keyLine, keyColumn + Math.Max(0, column - 1 - shift)));
        }

        return new WebhookTemplate(route, endpoint, description, file, bodyTemplate, keyTemplate)
        {
            Workspace = workspace,
            Coalesce = coalesce,
            OnAmbiguous = onAmbiguous,
        };
    }

    private static IFluidTemplate Parse(string source, string file, Func<int, int, (int Line, int Column)> toFile)
    {
        TranslatedSource translated;
        try
        {
            translated = BrazeDialect.Translate(source);
        }
        catch (TemplateSyntaxException ex)
        {
            var (line, column) = TranslatedSource.PositionOf(source, ex.Offset);
            var at = toFile(line, column);
            throw new TemplateLoadException(file, at.Line, at.Column, ex.Message);
        }

        if (BrazeLiquid.Parser.TryParse(translated.Text, out var template, out var error))
        {
            CheckFilters(template, translated, file, toFile);
            return BrazeAst.RubyLoops(template, translated.LoopLiterals);
        }

        var match = FluidPosition().Match(error);
        var (errorLine, errorColumn) = match.Success
            ? translated.ToOriginalPosition(int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(match.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture))
            : (1, 1);
        var message = match.Success ? match.Groups[1].Value.Trim() : error.Split('\n')[0].Trim();
        var position = toFile(errorLine, errorColumn);
        throw new TemplateLoadException(file, position.Line, position.Column, message);
    }

    /// <summary>A Liquid body on its own (no front matter), checked and rewritten exactly as a template body is.</summary>
    internal static IFluidTemplate ParseLiquid(string source, string file) => Parse(source, file, (line, column) => (line, column));

    /// <summary>
    /// Refuses filters Braze would refuse. Fluid's filter nodes carry no position, so the dialect's scan of the source
    /// supplies it; the parsed tree decides which names really are filters.
    /// </summary>
    private static void CheckFilters(IFluidTemplate template, TranslatedSource translated, string file, Func<int, int, (int Line, int Column)> toFile)
    {
        var used = BrazeAst.FilterNames(template);
        if (used.All(BrazeFilterCatalog.IsSupported))
        {
            return;
        }

        foreach (var filter in translated.Filters)
        {
            if (used.Contains(filter.Name) && BrazeFilterCatalog.Problem(filter.Name) is { } problem)
            {
                var (line, column) = TranslatedSource.PositionOf(translated.Original, filter.Offset);
                var at = toFile(line, column);
                throw new TemplateLoadException(file, at.Line, at.Column, problem);
            }
        }

        var unplaced = used.First(name => !BrazeFilterCatalog.IsSupported(name));
        var start = toFile(1, 1);
        throw new TemplateLoadException(file, start.Line, start.Column, BrazeFilterCatalog.Problem(unplaced)!);
    }

    private static string Unquote(string value, string file, int line, int column)
    {
        if (value.StartsWith('"'))
        {
            try
            {
                return JsonSerializer.Deserialize<string>(value) ?? string.Empty;
            }
            catch (JsonException)
            {
                throw new TemplateLoadException(file, line, column, "the double-quoted value is not closed or has an invalid escape");
            }
        }

        if (value.StartsWith('\''))
        {
            if (value.Length < 2 || !value.EndsWith('\''))
            {
                throw new TemplateLoadException(file, line, column, "the single-quoted value is not closed");
            }

            return value[1..^1].Replace("''", "'", StringComparison.Ordinal);
        }

        return value;
    }

    [GeneratedRegex(@"^([\s\S]*?) at \((\d+):(\d+)\)")]
    private static partial Regex FluidPosition();

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    internal static partial Regex RouteName();

    /// <summary>Valid as an app setting segment, a Key Vault secret name and a .NET configuration key alike.</summary>
    [GeneratedRegex("^[a-z][a-z0-9]{0,23}$")]
    internal static partial Regex WorkspaceName();
}
