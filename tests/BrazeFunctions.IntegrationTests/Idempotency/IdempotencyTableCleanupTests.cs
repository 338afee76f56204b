using Azure.Data.Tables;
using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.IntegrationTests.Idempotency;

/// <summary>The daily cleanup against Azurite's table service: whole tables older than the window are dropped.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class IdempotencyTableCleanupTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Cleanup_TablesOlderThanTheWindow_AreDroppedWholeAndRecentOnesKept()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 3, 17, 0, TimeSpan.Zero));
        var prefix = "dedupe" + Guid.NewGuid().ToString("N")[..8];
        await using var host = await RelayTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Outbox:QueueName"] = "outbox-" + Guid.NewGuid().ToString("N")[..12],
            ["Idempotency:TablePrefix"] = prefix,
            ["Idempotency:Window"] = "3.00:00:00",
        }, services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)));
        var tables = new TableServiceClient(azurite.ConnectionString);
        // Today, the window's three days, the day before it (boundary lookups may still read it), and two older days.
        foreach (var day in new[] { "20261129", "20261128", "20261127", "20261126", "20261125", "20261124", "20261101" })
        {
            await tables.CreateTableIfNotExistsAsync(prefix + day);
        }

        var dropped = await host.Get<IIdempotencyTableCleanup>().RunAsync(default);

        Assert.Equal([prefix + "20261101", prefix + "20261124"], dropped.Order(StringComparer.Ordinal));
        var left = new List<string>();
        await foreach (var table in tables.QueryAsync(t => t.Name.CompareTo(prefix) >= 0 && t.Name.CompareTo(prefix + "~") < 0))
        {
            left.Add(table.Name);
        }

        Assert.Equal(["20261125", "20261126", "20261127", "20261128", "20261129"], left.Select(n => n[prefix.Length..]).Order(StringComparer.Ordinal));
    }
}
