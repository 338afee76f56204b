using Azure.Data.Tables;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Pacing;
using BrazeFunctions.Core.Storage;
using BrazeFunctions.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.IntegrationTests.Pacing;

/// <summary>The shared pacing table on Azurite: typed rows keyed by host, key fingerprint and bucket; no phantom grants; bounded reads.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class SharedPacingStoreTests(AzuriteFixture azurite)
{
    private static readonly BrazeWorkspace Workspace = new("default", new Uri("https://rest.fra-01.braze.eu"), "sk-store-test", null, null);
    private readonly string _table = "pacingstore" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task Claim_TenInstancesRacingForOneWindow_NeverGrantMoreThanTheCap()
    {
        const int Cap = 25;
        var stores = Enumerable.Range(0, 10).Select(_ => Store()).ToList();
        var row = Key(BrazeBucket.UsersTrack).SharedRow;
        var window = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() + 3;
        var claim = new LedgerClaim(window, Want: 2, Cap, AlreadySpent: 0, CapIsTheWindow: true, TimeProvider.System.GetUtcNow());

        var results = await Task.WhenAll(stores.Select(async store =>
        {
            var outcomes = new List<LedgerClaimResult>();
            while (outcomes.Count < 200)
            {
                var result = await store.ClaimAsync(row, claim, default);
                outcomes.Add(result);
                if (result.Status == LedgerClaimStatus.Unchanged)
                {
                    break;
                }
            }

            return outcomes;
        }));

        var all = results.SelectMany(r => r).ToList();
        Assert.DoesNotContain(all, r => r.Status == LedgerClaimStatus.Failed);
        // A claim that lost every conditional write grants nothing: only written claims count.
        Assert.All(all.Where(r => r.Status != LedgerClaimStatus.Written), r => Assert.Equal(0, r.Granted));
        Assert.Equal(Cap, all.Sum(r => r.Granted));
        var stored = await TableClient().GetEntityAsync<SharedPacingEntity>(row.Partition, row.Row);
        Assert.Equal((window, Cap), (stored.Value.Window, stored.Value.Granted));
    }

    [Fact]
    public async Task Claim_Row_IsKeyedByHostKeyFingerprintAndBucket_NeverTheKeyOrTheWorkspaceName()
    {
        var row = Key(BrazeBucket.Subscription).SharedRow;

        await Store().ClaimAsync(row, new LedgerClaim(TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() + 60, 1, 5, 0, false, TimeProvider.System.GetUtcNow()), default);

        var entity = Assert.Single(TableClient().Query<SharedPacingEntity>());
        Assert.Equal((Workspace.RateLimitScope, "subscription"), (entity.PartitionKey, entity.RowKey));
        Assert.StartsWith("rest.fra-01.braze.eu_", entity.PartitionKey, StringComparison.Ordinal);
        Assert.DoesNotContain(Workspace.ApiKey, entity.PartitionKey, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Claim_StoredWindowFarAhead_IsNotBelievedAndTheCurrentWindowIsGranted()
    {
        var row = Key(BrazeBucket.Identity).SharedRow;
        var now = TimeProvider.System.GetUtcNow();
        await Seed(row, new SharedPacingEntity { Window = now.AddDays(2).ToUnixTimeSeconds(), Granted = 999 });

        var result = await Store().ClaimAsync(row, new LedgerClaim(now.ToUnixTimeSeconds() + 5, 3, 10, 0, false, now), default);

        Assert.Equal(new LedgerClaimResult(LedgerClaimStatus.Written, 3, 3), result);
    }

    [Fact]
    public async Task Raise_StoredClosedUntilFarAhead_IsReplacedByTheBoundedOne()
    {
        var row = Key(BrazeBucket.UsersTrack).SharedRow;
        var now = TimeProvider.System.GetUtcNow();
        await Seed(row, new SharedPacingEntity { ClosedUntil = now.AddDays(2), ClosedReason = "rate_limit" });

        Assert.True(await Store().RaiseClosedUntilAsync(row, now.AddSeconds(15), "rate_limit", probeFirst: true, TimeSpan.FromHours(1), default));

        var stored = (await TableClient().GetEntityAsync<SharedPacingEntity>(row.Partition, row.Row)).Value;
        Assert.Equal((now.AddSeconds(15), true), (stored.ClosedUntil, stored.ProbeFirst));
    }

    [Fact]
    public async Task Raise_LaterOneAlreadyStored_IsKept()
    {
        var row = Key(BrazeBucket.UsersTrack).SharedRow;
        var now = TimeProvider.System.GetUtcNow();
        await Seed(row, new SharedPacingEntity { ClosedUntil = now.AddMinutes(10), ClosedReason = "rate_limit" });

        Assert.True(await Store().RaiseClosedUntilAsync(row, now.AddSeconds(15), "rate_limit", probeFirst: false, TimeSpan.FromHours(1), default));

        Assert.Equal(now.AddMinutes(10), (await TableClient().GetEntityAsync<SharedPacingEntity>(row.Partition, row.Row)).Value.ClosedUntil);
    }

    [Fact]
    public async Task CredentialGate_SharedPauseLongerThanAnyItSets_IsNotBelieved()
    {
        var options = Options.Create(new PacingOptions { SharedPacingTable = _table, MaxCredentialPause = TimeSpan.FromHours(1) });
        var store = Store(options);
        var gate = new CredentialGate(TimeProvider.System, options, store, Metrics(), NullLogger<CredentialGate>.Instance);
        await Seed(CredentialScope.Key(Workspace).SharedRow, new SharedPacingEntity { ClosedUntil = TimeProvider.System.GetUtcNow().AddDays(30), ClosedReason = "credential_401" });

        Assert.Equal((null, null), await gate.CheckAsync(Workspace, BrazeEndpoints.UsersTrack, default));
    }

    private static PaceKey Key(BrazeBucket bucket) => new PaceRequest(Workspace, BrazeEndpoints.UsersTrack, bucket).Key;

    private static RelayMetrics Metrics() =>
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());

    private SharedPacingStore Store(IOptions<PacingOptions>? options = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["AzureWebJobsStorage"] = azurite.ConnectionString }).Build();
        var tables = new RelayTables(configuration, Options.Create(new OutboxOptions()));
        return new SharedPacingStore(tables, TimeProvider.System, options ?? Options.Create(new PacingOptions { SharedPacingTable = _table }), Metrics(), NullLogger<SharedPacingStore>.Instance);
    }

    private TableClient TableClient() => new(azurite.ConnectionString, _table);

    private async Task Seed(SharedRow row, SharedPacingEntity entity)
    {
        var table = TableClient();
        await table.CreateIfNotExistsAsync();
        entity.PartitionKey = row.Partition;
        entity.RowKey = row.Row;
        await table.UpsertEntityAsync(entity);
    }
}
