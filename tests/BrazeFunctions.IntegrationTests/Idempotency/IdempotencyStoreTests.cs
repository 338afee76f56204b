using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.IntegrationTests.Idempotency;

/// <summary>The daily tables against Azurite's table service.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class IdempotencyStoreTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Insert_JustAfterMidnight_FindsTheRecordOfTheDayBefore()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 0, 10, 0, TimeSpan.Zero));
        await using var host = await RelayTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Outbox:QueueName"] = "outbox-" + Guid.NewGuid().ToString("N")[..12],
        }, services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)));
        var store = host.Get<IdempotencyStore>();

        var before = await store.InsertAsync(RecordKind.Delivery, "counter-increment", "dispatch-1:u-1", clock.GetUtcNow().AddMinutes(-20), "first", "token-1", RecordState.Sending, default);
        var after = await store.InsertAsync(RecordKind.Delivery, "counter-increment", "dispatch-1:u-1", clock.GetUtcNow(), "second", "token-2", RecordState.Sending, default);

        Assert.True(before.Inserted);
        Assert.False(after.Inserted);
        Assert.Equal("first", after.Record.Owner);
        Assert.EndsWith("20261128", after.Record.Table, StringComparison.Ordinal);
    }
}
