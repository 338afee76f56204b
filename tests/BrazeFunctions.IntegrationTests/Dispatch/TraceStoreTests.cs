using Azure.Data.Tables;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.IntegrationTests.Dispatch;

/// <summary>
/// The trace records against Azurite's table service: a message's records come back oldest first with their facts; ids
/// that are not UUIDv7 are left out; a record written twice is stored once; daily tables past the retention are dropped.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class TraceStoreTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 10, 15, 0, TimeSpan.Zero);

    [Fact]
    public async Task WriteAsync_RecordsOfOneMessage_AreReadBackOldestFirstWithTheirFacts()
    {
        await using var rig = await StartAsync();
        var id = Guid.CreateVersion7(Now).ToString();
        var deferred = new TraceRecord(id, TraceEvent.Deferred, Now.AddSeconds(1)) { Reason = "rate_limit", Until = Now.AddSeconds(31), Attempt = 0 };
        var delivered = new TraceRecord(id, TraceEvent.Delivered, Now.AddSeconds(32)) { Status = 201, BatchSize = 7, Workspace = "eu", Endpoint = "/users/track" };

        var result = await Store(rig).WriteAsync([delivered, deferred], default);
        var read = await Store(rig).ReadAsync(id, default);

        Assert.Equal((2, 0), (result.Written, result.Failed));
        Assert.Equal([TraceEvent.Deferred, TraceEvent.Delivered], read.Select(r => r.Event));
        Assert.Equal(("rate_limit", Now.AddSeconds(31)), (read[0].Reason, read[0].Until));
        Assert.Equal((201, 7, "eu", "/users/track"), (read[1].Status, read[1].BatchSize, read[1].Workspace, read[1].Endpoint));
    }

    [Fact]
    public async Task WriteAsync_IdThatIsNotAUuidV7_IsLeftOutAndReadsAsNothing()
    {
        await using var rig = await StartAsync();

        var result = await Store(rig).WriteAsync([new TraceRecord("not-a-message-id", TraceEvent.Delivered, Now)], default);

        Assert.Equal((0, 0, 0), (result.Transactions, result.Written, result.Failed));
        Assert.Empty(await Store(rig).ReadAsync("not-a-message-id", default));
    }

    [Fact]
    public async Task WriteAsync_SameRecordTwice_IsStoredOnce()
    {
        await using var rig = await StartAsync();
        var record = new TraceRecord(Guid.CreateVersion7(Now).ToString(), TraceEvent.Delivered, Now) { Status = 201 };

        var result = await Store(rig).WriteAsync([record, record], default);

        Assert.Equal(1, result.Written);
        Assert.Single(await Store(rig).ReadAsync(record.MessageId, default));
    }

    [Fact]
    public async Task ReadAsync_NoTableForThatDayYet_IsEmpty()
    {
        await using var rig = await StartAsync();

        Assert.Empty(await Store(rig).ReadAsync(Guid.CreateVersion7(Now.AddDays(-3)).ToString(), default));
    }

    [Fact]
    public async Task DropExpiredTablesAsync_DailyTablesPastTheRetention_AreDroppedAndOthersKept()
    {
        var prefix = "trace" + Guid.NewGuid().ToString("N")[..8];
        await using var rig = await StartAsync(prefix, new FakeTimeProvider(Now));
        var tables = new TableServiceClient(azurite.ConnectionString);
        foreach (var name in new[] { "20261129", "20261127", "20261126", "20261125", "20261101", "archive" })
        {
            await tables.CreateTableIfNotExistsAsync(prefix + name);
        }

        var dropped = await Store(rig).DropExpiredTablesAsync(default);

        // Retention 3 days from 29 November: the 26th is the oldest day kept; a table that is not a day's is never touched.
        Assert.Equal([prefix + "20261101", prefix + "20261125"], dropped.Order(StringComparer.Ordinal));
        var left = new List<string>();
        await foreach (var table in tables.QueryAsync(t => t.Name.CompareTo(prefix) >= 0 && t.Name.CompareTo(prefix + "~") < 0))
        {
            left.Add(table.Name[prefix.Length..]);
        }

        Assert.Equal(["20261126", "20261127", "20261129", "archive"], left.Order(StringComparer.Ordinal));
    }

    private Task<DispatchRig> StartAsync(string? prefix = null, TimeProvider? time = null) =>
        DispatchRig.StartAsync(azurite, new()
        {
            ["Trace:TablePrefix"] = prefix ?? "trace" + Guid.NewGuid().ToString("N")[..8],
            ["Trace:Retention"] = "3.00:00:00",
        }, time: time);

    private static TraceStore Store(DispatchRig rig) => rig.Host.Get<TraceStore>();
}
