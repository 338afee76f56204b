using Azure.Storage.Queues;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Tests.Storage;

public sealed class QueueServiceClientFactoryTests
{
    [Fact]
    public void Create_DevelopmentStorageConnectionString_PointsAtAzurite()
    {
        var client = Create(new() { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" });

        Assert.Equal("http://127.0.0.1:10001/devstoreaccount1", client.Uri.ToString().TrimEnd('/'));
        Assert.Equal("devstoreaccount1", client.AccountName);
    }

    [Fact]
    public void Create_IdentityBasedQueueServiceUri_UsesThatUri()
    {
        // As app settings: AzureWebJobsStorage__queueServiceUri, __credential, __clientId.
        var client = Create(new()
        {
            ["AzureWebJobsStorage:queueServiceUri"] = "https://relaystore.queue.core.windows.net",
            ["AzureWebJobsStorage:credential"] = "managedidentity",
            ["AzureWebJobsStorage:clientId"] = "00000000-0000-0000-0000-000000000001",
        });

        Assert.Equal("https://relaystore.queue.core.windows.net/", client.Uri.ToString());
        Assert.Equal("relaystore", client.AccountName);
    }

    [Fact]
    public void Create_IdentityBasedAccountName_BuildsThePublicQueueEndpoint()
    {
        var client = Create(new() { ["AzureWebJobsStorage:accountName"] = "relaystore" });

        Assert.Equal("https://relaystore.queue.core.windows.net/", client.Uri.ToString());
    }

    [Fact]
    public void Create_CustomConnectionName_IsRead()
    {
        var client = Create(new() { ["RelayStorage"] = "UseDevelopmentStorage=true" }, connection: "RelayStorage");

        Assert.Equal("devstoreaccount1", client.AccountName);
    }

    [Fact]
    public void Create_NothingConfigured_FailsNamingTheSettings()
    {
        var ex = Assert.Throws<StorageNotConfiguredException>(() => Create([]));

        Assert.Contains("'AzureWebJobsStorage'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("AzureWebJobsStorage__queueServiceUri", ex.Message, StringComparison.Ordinal);
    }

    private static QueueServiceClient Create(Dictionary<string, string?> settings, string connection = "AzureWebJobsStorage")
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new QueueServiceClientFactory(configuration, Options.Create(new OutboxOptions { Connection = connection })).Create();
    }
}
