using System.Text.Json.Nodes;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using Microsoft.Extensions.Time.Testing;
using static BrazeFunctions.IntegrationTests.Infrastructure.SandboxClient;

namespace BrazeFunctions.IntegrationTests.Sandbox;

/// <summary>What the sandbox reports about each request: a JSON line for measuring scripts, and readable console text.</summary>
public sealed class SandboxJournalTests : IDisposable
{
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_001_250);
    private readonly string _folder = Directory.CreateTempSubdirectory("sandbox-journal-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Record_JsonlPath_AppendsOneLinePerRequestWithStatusBucketObjectsIdsAndBody()
    {
        var jsonl = Path.Combine(_folder, "nested", "requests.jsonl");
        var options = new SandboxOptions { Listen = "http://127.0.0.1:0", ApiKey = "k", JsonlPath = jsonl, Limits = new Dictionary<BrazeBucket, BucketLimit> { [BrazeBucket.UsersTrack] = new(1, TimeSpan.FromSeconds(3)) } };
        await using (var sandbox = await BrazeSandbox.StartAsync(new FakeTimeProvider(Start), options))
        {
            using var client = new SandboxClient(sandbox);
            await client.PostAsync("/users/track", UsersTrack("u-1", "u-2"));
            await client.PostAsync("/users/track", UsersTrack("u-3"));
            await client.PostAsync("/canvas/trigger/send", """{"canvas_id":"c-1","recipients":[{"external_user_id":"u-4"}]}""");
        }

        var lines = File.ReadAllLines(jsonl).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

        Assert.Equal(3, lines.Count);
        Assert.Equal(
            [("/users/track", "users-track", 201, true, 2), ("/users/track", "users-track", 429, false, 1), ("/canvas/trigger/send", "messaging", 201, true, 1)],
            lines.Select(l => (l["path"]!.GetValue<string>(), l["bucket"]!.GetValue<string>(), l["status"]!.GetValue<int>(), l["applied"]!.GetValue<bool>(), l["objects"]!.GetValue<int>())));
        Assert.Equal(["u-1", "u-2"], lines[0]["ids"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Equal(["u-4"], lines[2]["ids"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Equal(("2027-01-15T08:00:01.250Z", 1_800_000_001.25), (lines[0]["time"]!.GetValue<string>(), lines[0]["ts"]!.GetValue<double>()));
        Assert.Equal("u-1", lines[0]["body"]!["attributes"]![0]!["external_id"]!.GetValue<string>());
        Assert.Equal((1, 0), (lines[0]["limit"]!.GetValue<int>(), lines[0]["remaining"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Record_JsonlFileExists_AppendsRatherThanReplaces()
    {
        var jsonl = Path.Combine(_folder, "requests.jsonl");
        File.WriteAllText(jsonl, "{\"earlier\":true}\n");
        var options = new SandboxOptions { Listen = "http://127.0.0.1:0", ApiKey = "k", JsonlPath = jsonl };
        await using (var sandbox = await BrazeSandbox.StartAsync(new FakeTimeProvider(Start), options))
        {
            using var client = new SandboxClient(sandbox);
            await client.PostAsync("/users/track", UsersTrack("u-1"));
        }

        Assert.Equal(2, File.ReadAllLines(jsonl).Length);
    }

    [Theory]
    [InlineData("/users/identify", """{"aliases_to_identify":[{"external_id":"u-1","user_alias":{"alias_name":"a-1","alias_label":"l"}}]}""", new[] { "u-1" })]
    [InlineData("/subscription/status/set", """{"subscription_group_id":"g","subscription_state":"subscribed","external_id":["u-1","u-2"]}""", new[] { "u-1", "u-2" })]
    [InlineData("/users/track", """{"events":[{"user_alias":{"alias_name":"a-1","alias_label":"l"},"name":"e"}],"purchases":[{"braze_id":"b-1"}]}""", new[] { "a-1", "b-1" })]
    [InlineData("/messages/send", """{"external_user_ids":["u-1"],"user_aliases":[{"alias_name":"a-2","alias_label":"l"}]}""", new[] { "u-1", "a-2" })]
    [InlineData("/users/export/ids", """{"external_ids":["u-1"]}""", new string[0])]
    public void UserIds_EachEndpointsRecipients_NamedInOrder(string path, string body, string[] expected)
    {
        Assert.Equal(expected, ObjectCensus.UserIds(path, JsonNode.Parse(body)!.AsObject()));
    }

    [Fact]
    public async Task Record_EchoFull_PrintsALinePerRequestAndTheIndentedBody()
    {
        var console = new StringWriter();
        var options = new SandboxOptions { Listen = "http://127.0.0.1:0", ApiKey = "k", Echo = EchoMode.Full };
        await using (var sandbox = await BrazeSandbox.StartAsync(new FakeTimeProvider(Start), options, console))
        {
            using var client = new SandboxClient(sandbox);
            await client.PostAsync("/users/track", UsersTrack("user-123"));
        }

        var lines = console.ToString().ReplaceLineEndings("\n").TrimEnd().Split('\n');

        Assert.Equal("[braze-sandbox] 08:00:01.250 POST /users/track -> 201  [users-track 2999/3000 left, 1 object]", lines[0]);
        Assert.Contains("[braze-sandbox]         \"external_id\": \"user-123\",", lines);
        Assert.All(lines, line => Assert.StartsWith("[braze-sandbox]", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Record_EchoLine_PrintsOnlyTheLine()
    {
        var console = new StringWriter();
        var options = new SandboxOptions { Listen = "http://127.0.0.1:0", ApiKey = "k", Echo = EchoMode.Line };
        await using (var sandbox = await BrazeSandbox.StartAsync(new FakeTimeProvider(Start), options, console))
        {
            using var client = new SandboxClient(sandbox);
            await client.PostAsync("/users/track", UsersTrack("u-1"), key: "wrong");
        }

        Assert.Equal("[braze-sandbox] 08:00:01.250 POST /users/track -> 401  [users-track 2999/3000 left, 1 object]", console.ToString().TrimEnd());
    }
}
