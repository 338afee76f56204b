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
        var close = FrontMatterEnd(lines, file);
        var front = FrontMatter.Read(lines, close, file);
        front.Check(file);

        var bodyFirstLine = close + 2;
        var body = string.Join('\n', lines.Skip(close + 1));
        if (body.Trim().Length == 0)
        {
            throw new TemplateLoadException(file, bodyFirstLine, 1, "the template has no body after the front matter");
        }

        var bodyTemplate = Parse(body, file, (line, column) => (line + bodyFirstLine - 1, column));
        return new WebhookTemplate(route, front.Endpoint!, front.Description!, file, bodyTemplate, ParseKey(front, file))
        {
            Workspace = front.Workspace,
            Coalesce = front.Coalesce,
            OnAmbiguous = front.OnAmbiguous,
        };
    }

    /// <summary>The index of the line closing the front matter block that must open the file.</summary>
    private static int FrontMatterEnd(string[] lines, string file)
    {
        if (lines.Length == 0 || lines[0].TrimEnd() != "---")
        {
            throw new TemplateLoadException(file, 1, 1, "the template must start with a front matter block: a '---' line, 'endpoint: /users/track', 'description: ...', and a closing '---' line");
        }

        var close = Array.FindIndex(lines, 1, l => l.TrimEnd() == "---");
        return close >= 0 ? close : throw new TemplateLoadException(file, 1, 1, "the front matter block opened on line 1 is not closed by a '---' line");
    }

    /// <summary>The idempotency key template: a bare expression is wrapped in <c>{{ }}</c>, and positions point into the front matter line.</summary>
    private static IFluidTemplate? ParseKey(FrontMatter front, string file)
    {
        if (string.IsNullOrWhiteSpace(front.IdempotencyKey))
        {
            return null;
        }

        var key = front.IdempotencyKey;
        var isTemplate = key.Contains("{{", StringComparison.Ordinal) || key.Contains("{%", StringComparison.Ordinal);
        var source = isTemplate ? key : "{{ " + key + " }}";
        var shift = isTemplate ? 0 : 3;
        return Parse(source, file, (_, column) => (front.KeyLine, front.KeyColumn + Math.Max(0, column - 1 - shift)));
    }

    /// <summary>The front matter's values, with the positions of those whose errors point into them.</summary>
    private sealed class FrontMatter
    {
        private const string KnownKeys = "endpoint, description, idempotency_key, workspace, coalesce, on_ambiguous";

        public string? Endpoint { get; private set; }

        public int EndpointLine { get; private set; }

        public int EndpointColumn { get; private set; }

        public string? Description { get; private set; }

        public string? IdempotencyKey { get; private set; }

        public int KeyLine { get; private set; }

        public int KeyColumn { get; private set; }

        public string Workspace { get; private set; } = WebhookTemplate.DefaultWorkspace;

        public bool Coalesce { get; private set; } = true;

        public AmbiguousOutcomePolicy? OnAmbiguous { get; private set; }

        public static FrontMatter Read(string[] lines, int close, string file)
        {
            var front = new FrontMatter();
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

                var valueColumn = colon + 2 + (line.Length - colon - 1 - line[(colon + 1)..].TrimStart().Length);
                var value = Unquote(line[(colon + 1)..].Trim(), file, i + 1, valueColumn);
                front.Set(line[..colon].Trim(), value, new Position(file, line, i + 1, valueColumn));
            }

            return front;
        }

        public void Check(string file)
        {
            if (string.IsNullOrEmpty(Endpoint))
            {
                throw new TemplateLoadException(file, 1, 1, "the front matter has no 'endpoint' (the Braze REST path, e.g. /users/track)");
            }

            if (!BrazeEndpoints.Allowed.Contains(Endpoint))
            {
                throw new TemplateLoadException(file, EndpointLine, EndpointColumn,
                    $"endpoint '{Endpoint}' is not allowed; use one of {string.Join(", ", BrazeEndpoints.Allowed.Order(StringComparer.Ordinal))}");
            }

            if (string.IsNullOrWhiteSpace(Description))
            {
                throw new TemplateLoadException(file, 1, 1, "the front matter has no 'description' (one line saying what the template does)");
            }
        }

        private void Set(string key, string value, Position at)
        {
            switch (key)
            {
                case "endpoint":
                    (Endpoint, EndpointLine, EndpointColumn) = (value, at.Line, at.Column);
                    break;
                case "description":
                    Description = value;
                    break;
                case "idempotency_key":
                    // Columns inside the key count from its first character, after an opening quote.
                    (IdempotencyKey, KeyLine, KeyColumn) = (value, at.Line, at.Column + (at.Text[(at.Column - 1)..].StartsWith('"') || at.Text[(at.Column - 1)..].StartsWith('\'') ? 1 : 0));
                    break;
                case "workspace":
                    Workspace = WorkspaceName().IsMatch(value)
                        ? value
                        : throw at.Error($"workspace '{value}' is not a valid workspace name (a lower-case letter, then up to 23 lower-case letters or digits)");
                    break;
                case "coalesce":
                    Coalesce = value switch
                    {
                        "true" => true,
                        "false" => false,
                        _ => throw at.Error($"coalesce must be true or false (got '{value}')"),
                    };
                    break;
                case "on_ambiguous":
                    OnAmbiguous = value switch
                    {
                        "retry" => AmbiguousOutcomePolicy.Retry,
                        "dead_letter" => AmbiguousOutcomePolicy.DeadLetter,
                        _ => throw at.Error($"on_ambiguous must be retry or dead_letter (got '{value}')"),
                    };
                    break;
                default:
                    throw new TemplateLoadException(at.File, at.Line, 1, $"unknown front matter key '{key}' (known: {KnownKeys})");
            }
        }
    }

    /// <summary>Where a front matter value starts: its file, its line's text and number, and its column (1-based).</summary>
    private readonly record struct Position(string File, string Text, int Line, int Column)
    {
        public TemplateLoadException Error(string problem) => new(File, Line, Column, problem);
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
