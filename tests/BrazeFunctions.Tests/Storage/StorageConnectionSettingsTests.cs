using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Configuration;

namespace BrazeFunctions.Tests.Storage;

public sealed class StorageConnectionSettingsTests
{
    [Theory]
    [InlineData("AzureWebJobsStorage", "UseDevelopmentStorage=true", true)]
    [InlineData("AzureWebJobsStorage:queueServiceUri", "https://a.queue.core.windows.net", true)]
    [InlineData("AzureWebJobsStorage:accountName", "a", true)]
    [InlineData("AzureWebJobsStorage:clientId", "00000000-0000-0000-0000-000000000001", false)] // a client id alone connects to nothing
    [InlineData("Other", "UseDevelopmentStorage=true", false)]
    public void IsSet_AnyFormThatNamesAnEndpoint(string key, string value, bool expected)
    {
        Assert.Equal(expected, StorageConnectionSettings.IsSet(Config((key, value)), "AzureWebJobsStorage"));
    }

    [Fact]
    public void Describe_ConnectionStringWithAKeyOrSas_NeverShowsThem()
    {
        const string Key = "a2V5LXRoYXQtbXVzdC1ub3QtbGVhaw==";
        var withKey = StorageConnectionSettings.Describe(Config(("S", $"DefaultEndpointsProtocol=https;AccountName=relaystore;AccountKey={Key}")), "S");
        var withSas = StorageConnectionSettings.Describe(Config(("S", "QueueEndpoint=https://relaystore.queue.core.windows.net;SharedAccessSignature=sv=2024&sig=c2lnbmF0dXJl")), "S");

        Assert.Equal("connection string, account relaystore (shared key, not shown)", withKey);
        Assert.Equal("connection string, queue https://relaystore.queue.core.windows.net (SAS, not shown)", withSas);
        Assert.DoesNotContain(Key, withKey, StringComparison.Ordinal);
        Assert.DoesNotContain("c2lnbmF0dXJl", withSas, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_ManagedIdentityWithServiceUris_NamesTheCredentialAndBothServices()
    {
        var described = StorageConnectionSettings.Describe(Config(
            ("S:queueServiceUri", "https://q.example"), ("S:tableServiceUri", "https://t.example"), ("S:credential", "managedidentity"), ("S:clientId", "cid")), "S");

        Assert.Equal("identity (managed identity cid): queue https://q.example, table https://t.example", described);
    }

    [Fact]
    public void Keys_AreEveryFormOfTheConnection()
    {
        Assert.Equal(["S", "S:queueServiceUri", "S:tableServiceUri", "S:blobServiceUri", "S:accountName", "S:credential", "S:clientId"], StorageConnectionSettings.Keys("S"));
    }

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();
}
