using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Tests.Storage;

public sealed class RelayTablesTests
{
    [Fact]
    public void Service_IdentityBasedConnection_UsesTheTableServiceUri()
    {
        // As app settings: AzureWebJobsStorage__tableServiceUri (the Bicep's table endpoint output), __credential, __clientId.
        var tables = Create(new()
        {
            ["AzureWebJobsStorage:tableServiceUri"] = "https://relaystore.table.core.windows.net",
            ["AzureWebJobsStorage:credential"] = "managedidentity",
            ["AzureWebJobsStorage:clientId"] = "00000000-0000-0000-0000-000000000001",
        });

        Assert.Equal(new Uri("https://relaystore.table.core.windows.net"), tables.Service.Uri);
    }

    [Fact]
    public void Service_AccountNameOnly_DerivesTheTableEndpoint()
    {
        Assert.Equal("relaystore.table.core.windows.net", Create(new() { ["AzureWebJobsStorage:accountName"] = "relaystore" }).Service.Uri.Host);
    }

    [Fact]
    public void Service_NoConnection_FailsNamingTheTableSetting()
    {
        var tables = Create([]);

        var ex = Assert.Throws<StorageNotConfiguredException>(() => tables.Service);
        Assert.Contains("AzureWebJobsStorage__tableServiceUri", ex.Message, StringComparison.Ordinal);
    }

    private static RelayTables Create(Dictionary<string, string?> settings) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), Options.Create(new OutboxOptions()));
}
