using System.Net;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using static BrazeFunctions.IntegrationTests.Infrastructure.SandboxClient;

namespace BrazeFunctions.IntegrationTests.Sandbox;

/// <summary>Slow-network answers: headers then silence, and a chunked body far bigger than any client should read.</summary>
public sealed class SandboxSlowAnswerTests
{
    private const string Key = "sk-sandbox-test";

    [Fact]
    public async Task StallAfterHeaders_ClientReadsTheBody_HeadersArriveButTheBodyNeverCompletes()
    {
        await using var sandbox = await BrazeSandbox.StartAsync(TimeProvider.System, Key);
        sandbox.Script(new SandboxAnswer.StallAfterHeaders());
        using var client = new SandboxClient(sandbox);

        using var answer = await client.PostAsync("/users/track", UsersTrack("u-1"), completion: HttpCompletionOption.ResponseHeadersRead);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var reading = answer.Content.ReadAsStringAsync(giveUp.Token);

        Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
        Assert.NotNull(answer.Content.Headers.ContentLength);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);
        var record = await RecordedAsync(sandbox);
        Assert.Equal(("stalled", true, 201), (record.Fault, record.Applied, record.Status));
        Assert.Single(sandbox.AppliedObjects);
    }

    [Fact]
    public async Task StallAfterHeaders_SandboxDisposed_EndsTheStalledAnswer()
    {
        var sandbox = await BrazeSandbox.StartAsync(TimeProvider.System, Key);
        sandbox.Script(new SandboxAnswer.StallAfterHeaders(Apply: false));
        using var client = new SandboxClient(sandbox);
        using var answer = await client.PostAsync("/users/track", UsersTrack("u-1"), completion: HttpCompletionOption.ResponseHeadersRead);
        var reading = answer.Content.ReadAsStringAsync();

        await sandbox.DisposeAsync();

        await Assert.ThrowsAnyAsync<Exception>(() => reading);
        Assert.Empty(sandbox.AppliedObjects);
    }

    [Fact]
    public async Task HugeChunkedBody_ClientStopsAtItsLimit_NoContentLengthAndMoreBytesThanTheLimit()
    {
        const int ClientLimit = 1024 * 1024;
        await using var sandbox = await BrazeSandbox.StartAsync(TimeProvider.System, Key);
        sandbox.Script(new SandboxAnswer.HugeChunkedBody());
        using var client = new SandboxClient(sandbox);

        var read = 0;
        using (var answer = await client.PostAsync("/users/track", UsersTrack("u-1"), completion: HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
            Assert.Null(answer.Content.Headers.ContentLength);
            Assert.True(answer.Headers.TransferEncodingChunked);
            await using var body = await answer.Content.ReadAsStreamAsync();
            var buffer = new byte[16 * 1024];
            while (read <= ClientLimit && await body.ReadAsync(buffer) is var n and > 0)
            {
                read += n;
            }
        }

        Assert.True(read > ClientLimit, $"read only {read} bytes");
        var record = await RecordedAsync(sandbox);
        Assert.Equal("chunked, client stopped reading", record.Fault);
    }

    [Fact]
    public async Task HugeChunkedBody_ClientReadsToTheEnd_IsOneJsonObjectOfTheGivenSize()
    {
        await using var sandbox = await BrazeSandbox.StartAsync(TimeProvider.System, Key);
        sandbox.Script(new SandboxAnswer.HugeChunkedBody(Bytes: 300_000));
        using var client = new SandboxClient(sandbox);

        using var answer = await client.PostAsync("/users/track", UsersTrack("u-1"));
        var body = System.Text.Json.Nodes.JsonNode.Parse(await answer.Content.ReadAsStringAsync())!;

        Assert.Equal(("success", 300_000), (body["message"]!.GetValue<string>(), body["padding"]!.GetValue<string>().Length));
        Assert.Equal("chunked", (await RecordedAsync(sandbox)).Fault);
    }

    [Fact]
    public async Task Delay_ClientGivesUpFirst_RecordedAsDroppedAndNotApplied()
    {
        await using var sandbox = await BrazeSandbox.StartAsync(TimeProvider.System, Key);
        sandbox.Script(new SandboxAnswer.Delay(TimeSpan.FromMinutes(5)));
        using var client = new SandboxClient(sandbox);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(1));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.PostAsync("/users/track", UsersTrack("u-1"), cancellation: giveUp.Token));

        var record = await RecordedAsync(sandbox);
        Assert.Equal((0, true, false), (record.Status, record.Dropped, record.Applied));
    }

    /// <summary>The sandbox records a request when its answer has ended, which for these answers is after the client's move.</summary>
    private static async Task<SandboxRequest> RecordedAsync(BrazeSandbox sandbox)
    {
        await Poll.UntilAsync(() => sandbox.Requests.Count > 0, "the sandbox to record the request", TimeSpan.FromSeconds(10));
        return Assert.Single(sandbox.Requests);
    }
}
