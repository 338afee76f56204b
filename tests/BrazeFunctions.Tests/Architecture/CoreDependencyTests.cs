using System.Text.RegularExpressions;

namespace BrazeFunctions.Tests.Architecture;

/// <summary>
/// Keeps Core's folders flowing one way, as docs/architecture.md describes: the document's table says which folders each
/// folder may use; the sources say which it does use.
/// </summary>
public sealed partial class CoreDependencyTests
{
    /// <summary>The webhook's path through the relay: a folder may use only folders after it.</summary>
    private static readonly string[] Flow = ["Ingress", "Dispatch", "Templates", "Delivery", "Idempotency|Pacing", "Braze"];

    /// <summary>Used by every folder; among themselves only in this order (Storage may use Diagnostics, not the reverse).</summary>
    private static readonly string[] Shared = ["Messages", "Storage", "Diagnostics", "Http"];

    [Fact]
    public void Imports_EveryFolder_UsesOnlyTheFoldersItsRowAllows()
    {
        var allowed = DocumentedRules();
        var violations = ActualImports()
            .Where(i => !allowed.TryGetValue(i.From, out var may) || !may.Contains(i.To))
            .Select(i => $"{i.File} uses {i.To}, which the {i.From} row of docs/architecture.md does not allow")
            .Distinct()
            .ToList();

        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void Rules_EveryDocumentedArrow_FollowsTheFlow()
    {
        var against = DocumentedRules()
            .SelectMany(rule => rule.Value.Select(to => (From: rule.Key, To: to)))
            .Where(arrow => !FollowsTheFlow(arrow.From, arrow.To))
            .Select(arrow => $"{arrow.From} -> {arrow.To}")
            .ToList();

        Assert.True(against.Count == 0, "Against the flow: " + string.Join(", ", against));
    }

    [Fact]
    public void Imports_FolderGraph_HasNoCycle()
    {
        var graph = ActualImports().GroupBy(i => i.From).ToDictionary(g => g.Key, g => g.Select(i => i.To).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);

        var cycle = FindCycle(graph);

        Assert.True(cycle is null, "Core's folders form a cycle: " + string.Join(" -> ", cycle ?? []));
    }

    [Fact]
    public void Rules_ListEveryCoreFolder_AndNoOther()
    {
        Assert.Equal(CoreFolders().Order(StringComparer.Ordinal), DocumentedRules().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void FindCycle_TwoFoldersUsingEachOther_IsFound()
    {
        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal)
        {
            ["Delivery"] = ["Idempotency", "Braze"],
            ["Idempotency"] = ["Delivery"],
        };

        Assert.NotNull(FindCycle(graph));
        Assert.True(FollowsTheFlow("Delivery", "Idempotency"));
        Assert.False(FollowsTheFlow("Idempotency", "Delivery"));
        Assert.False(FollowsTheFlow("Idempotency", "Pacing"));
        Assert.False(FollowsTheFlow("Diagnostics", "Storage"));
        Assert.False(FollowsTheFlow("Storage", "Dispatch"));
        Assert.False(FollowsTheFlow("Messages", "Storage"));
        Assert.True(FollowsTheFlow("Storage", "Messages"));
        Assert.True(FollowsTheFlow("Storage", "Diagnostics"));
    }

    private static bool FollowsTheFlow(string from, string to)
    {
        int Rank(string[] order, string folder) => Array.FindIndex(order, step => step.Split('|').Contains(folder));
        var (fromShared, toShared) = (Rank(Shared, from), Rank(Shared, to));
        if (toShared >= 0)
        {
            // Messages uses nothing and every other folder uses it; the other shared folders use only those after them.
            return from != "Messages" && (fromShared < 0 || to == "Messages" || toShared > fromShared);
        }

        return fromShared < 0 && Rank(Flow, to) > Rank(Flow, from);
    }

    private static List<string>? FindCycle(Dictionary<string, HashSet<string>> graph)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 = on the path, 2 = done
        var path = new List<string>();

        List<string>? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var next in graph.GetValueOrDefault(node) ?? [])
            {
                if (state.GetValueOrDefault(next) == 1)
                {
                    return [.. path.SkipWhile(n => n != next), next];
                }

                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } found)
                {
                    return found;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }

        return graph.Keys.Order(StringComparer.Ordinal).Where(n => state.GetValueOrDefault(n) == 0).Select(Visit).FirstOrDefault(c => c is not null);
    }

    private static Dictionary<string, HashSet<string>> DocumentedRules()
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot, "docs", "architecture.md"));
        var rules = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (Match row in RuleRow().Matches(text).Where(r => r.Groups["folder"].Value != "Folder"))
        {
            var uses = row.Groups["uses"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            rules.Add(row.Groups["folder"].Value, [.. uses]);
        }

        Assert.True(rules.Count > 0, "docs/architecture.md has no folder table");
        return rules;
    }

    private static IEnumerable<(string From, string To, string File)> ActualImports()
    {
        var folders = CoreFolders().ToHashSet(StringComparer.Ordinal);
        foreach (var from in folders)
        {
            foreach (var file in Directory.GetFiles(Path.Combine(CoreDirectory, from), "*.cs", SearchOption.AllDirectories))
            {
                var source = File.ReadAllText(file);
                var used = Using().Matches(source).Concat(Qualified().Matches(source)).Select(m => m.Groups["folder"].Value);
                foreach (var to in used.Where(to => to != from && folders.Contains(to)).Distinct())
                {
                    yield return (from, to, Path.GetRelativePath(RepositoryRoot, file));
                }
            }
        }
    }

    private static IEnumerable<string> CoreFolders() =>
        Directory.GetDirectories(CoreDirectory).Select(d => Path.GetFileName(d)!).Where(n => n is not ("bin" or "obj"));

    private static string CoreDirectory => Path.Combine(RepositoryRoot, "src", "BrazeFunctions.Core");

    private static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BrazeFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("BrazeFunctions.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^\| (?<folder>[A-Z][A-Za-z]+) \| [^|]+ \| *(?<uses>[A-Za-z, ]*?) *\|\s*$", RegexOptions.Multiline)]
    private static partial Regex RuleRow();

    [GeneratedRegex(@"^\s*using (static )?BrazeFunctions\.Core\.(?<folder>[A-Za-z]+)[.;]", RegexOptions.Multiline)]
    private static partial Regex Using();

    // Fully qualified names, also in XML doc crefs ("Pacing.PacingOptions" from inside another Core namespace).
    [GeneratedRegex(@"(BrazeFunctions\.Core\.|cref=""(global::)?)(?<folder>[A-Z][A-Za-z]+)\.[A-Z]")]
    private static partial Regex Qualified();
}
