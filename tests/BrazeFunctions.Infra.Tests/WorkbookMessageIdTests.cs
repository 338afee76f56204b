using System.Text.Json.Nodes;

namespace BrazeFunctions.Infra.Tests;

/// <summary>The workbook's way to follow one webhook: a message id parameter and the tile that reads it.</summary>
[Collection(InfraCollection.Name)]
public sealed class WorkbookMessageIdTests(InfraBuild build)
{
    [Fact]
    public void Workbook_MainParameters_HasAMessageIdParameterAndATileShownOnlyWhenItIsSet()
    {
        var serialized = build.Snapshot(InfraBuild.MainParameters).Single("Microsoft.Insights/workbooks").Properties?["serializedData"]?.GetValue<string>();
        var items = JsonNode.Parse(serialized ?? string.Empty)!["items"]!.AsArray();

        var parameters = items.Single(i => i?["name"]?.GetValue<string>() == "parameters")!["content"]!["parameters"]!.AsArray();
        var messageId = Assert.Single(parameters, p => p?["name"]?.GetValue<string>() == "MessageId")!;
        Assert.Equal(1, messageId["type"]!.GetValue<int>()); // free text
        Assert.False(messageId["isRequired"]!.GetValue<bool>());

        var tile = Assert.Single(items, i => i?["content"]?["query"]?.GetValue<string>().Contains("{MessageId}", StringComparison.Ordinal) == true)!;
        var query = tile["content"]!["query"]!.GetValue<string>();
        // The dispatcher's log scope and the ingress's log lines carry the id as MessageId; the operation ties the rest to it.
        Assert.Contains("customDimensions[\"MessageId\"]", query, StringComparison.Ordinal);
        Assert.Contains("operation_Id in (operations)", query, StringComparison.Ordinal);
        Assert.Equal("MessageId", tile["conditionalVisibility"]?["parameterName"]?.GetValue<string>());
        Assert.Equal("isNotEqualTo", tile["conditionalVisibility"]?["comparison"]?.GetValue<string>());
    }

    [Fact]
    public void Docs_TheMessageIdQuery_IsTheWorkbooksQuery()
    {
        var workbook = JsonNode.Parse(File.ReadAllText(Path.Combine(build.RepositoryRoot, "infra", "modules", "relay.workbook.json")))!;
        var query = workbook["items"]!.AsArray().Select(i => i?["content"]?["query"]?.GetValue<string>()).Single(q => q?.Contains("{MessageId}", StringComparison.Ordinal) == true)!;
        var docs = File.ReadAllText(Path.Combine(build.RepositoryRoot, "docs", "dispatch.md")).ReplaceLineEndings("\n");

        // The docs show the same query with the id written in, so that it can be pasted into Logs.
        Assert.Contains(query.Replace("{MessageId}", "<message id>", StringComparison.Ordinal), docs, StringComparison.Ordinal);
    }
}
