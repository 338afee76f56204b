using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BrazeFunctions.Core.Storage;

namespace BrazeFunctions.Infra.Tests;

/// <summary>
/// The operator documentation against the code: every log event id the code writes is in docs/dispatch.md's table, every
/// error code the ingress answers is in README's ingress table, every setting row sits inside README's settings table,
/// and what README says of Outbox__Connection is what the trigger does.
/// </summary>
public sealed partial class DocumentationTests
{
    private static readonly string Root = InfraBuild.FindRepositoryRoot();

    [Fact]
    public void EventIds_EveryLoggerMessage_IsInTheDispatchDocsTable()
    {
        var written = SourceFiles("src").SelectMany(f => EventId().Matches(File.ReadAllText(f)).Select(m => int.Parse(m.Groups["id"].Value, System.Globalization.CultureInfo.InvariantCulture))).ToHashSet();
        var rows = EventRow().Matches(File.ReadAllText(Path.Combine(Root, "docs", "dispatch.md")))
            .Select(m => (From: int.Parse(m.Groups["from"].Value, System.Globalization.CultureInfo.InvariantCulture), To: m.Groups["to"].Success ? int.Parse(m.Groups["to"].Value, System.Globalization.CultureInfo.InvariantCulture) : int.Parse(m.Groups["from"].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();

        Assert.Contains(1001, written);
        Assert.Contains(2001, written);
        var missing = written.Where(id => !rows.Any(r => id >= r.From && id <= r.To)).Order().ToList();
        Assert.True(missing.Count == 0, $"Event ids written by the code but not in docs/dispatch.md's log events table: {string.Join(", ", missing)}");
    }

    [Fact]
    public void IngressTable_Readme_NamesEveryErrorCodeTheIngressAnswers()
    {
        // The two classes that answer webhooks, wherever Core's folders put them.
        var codes = SourceFiles(Path.Combine("src", "BrazeFunctions.Core"))
            .Where(f => Path.GetFileName(f) is "WebhookIngress.cs" or "WebhookRequestValidator.cs" or "WebhookBodyCheck.cs")
            .SelectMany(f => IngressErrorCode().Matches(File.ReadAllText(f)).Select(m => m.Groups["code"].Value))
            .ToHashSet(StringComparer.Ordinal);
        var table = Section(File.ReadAllText(Path.Combine(Root, "README.md")), "## The ingress:");

        Assert.Contains("idempotency_key_in_progress", codes);
        Assert.Contains("storage_unavailable", codes);
        Assert.All(codes, code => Assert.Contains($"`{code}`", table, StringComparison.Ordinal));
    }

    [Fact]
    public void SettingsTable_Readme_HoldsTheTelemetrySettingsAndOutboxConnectionInsideTheTable()
    {
        var section = Section(File.ReadAllText(Path.Combine(Root, "README.md")), "## Configuration");
        var lines = section.Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith("| Setting |", StringComparison.Ordinal));
        var table = lines.Skip(start).TakeWhile(l => l.StartsWith('|')).ToList();

        Assert.True(start >= 0, "README's Configuration section has no settings table.");
        foreach (var setting in new[] { "APPLICATIONINSIGHTS_CONNECTION_STRING", "APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "Outbox__Connection", "AzureWebJobsStorage" })
        {
            Assert.Contains(table, row => row.StartsWith($"| `{setting}` |", StringComparison.Ordinal));
        }

        // No setting row outside the table: a row after a blank line renders as text, not as part of the table.
        Assert.DoesNotContain(lines.Skip(start + table.Count), l => l.StartsWith("| `", StringComparison.Ordinal));
    }

    [Fact]
    public void OutboxConnection_QueueTrigger_ListensWhereTheRelayQueuesByDefault()
    {
        var triggers = CodeContract.QueueTriggers(Root).ToList();
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "local.settings.sample.json")))?["Values"]?["Outbox__Connection"]?.GetValue<string>();

        Assert.NotEmpty(triggers);
        Assert.All(triggers, t => Assert.Equal(new OutboxOptions().Connection, t.Connection));
        Assert.Equal(new OutboxOptions().Connection, sample);
    }

    private static IEnumerable<string> SourceFiles(string folder) =>
        Directory.EnumerateFiles(Path.Combine(Root, folder), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    /// <summary>The text of a Markdown section, from its heading to the next heading of level 2.</summary>
    private static string Section(string markdown, string heading)
    {
        var start = markdown.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"No section '{heading}'.");
        var end = markdown.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        return end < 0 ? markdown[start..] : markdown[start..end];
    }

    [GeneratedRegex(@"EventId\s*=\s*(?<id>\d+)")]
    private static partial Regex EventId();

    [GeneratedRegex(@"^\| (?<from>\d{4})(?:-(?<to>\d{4}))? \|", RegexOptions.Multiline)]
    private static partial Regex EventRow();

    [GeneratedRegex(@"(?:Problem|Reject)\(StatusCodes\.Status\d+\w*,\s*""(?<code>[a-z_]+)""")]
    private static partial Regex IngressErrorCode();
}
