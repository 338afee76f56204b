using Azure.Core;
using Azure.Identity;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Storage;

/// <summary>
/// Builds the queue client from the same settings the Functions host reads for a trigger's connection:
/// either a connection string (<c>AzureWebJobsStorage=UseDevelopmentStorage=true</c>) or identity-based settings
/// (<c>AzureWebJobsStorage__queueServiceUri</c>, optionally <c>__credential=managedidentity</c> and <c>__clientId</c>).
/// </summary>
public sealed class QueueServiceClientFactory(IConfiguration configuration, IOptions<OutboxOptions> options)
{
    // Base64 matches the queue trigger's default and host.json's "messageEncoding": "base64".
    public const QueueMessageEncoding Encoding = QueueMessageEncoding.Base64;

    /// <param name="messageEncoding">Base64 for everything the relay sends; <see cref="QueueMessageEncoding.None"/> for reads that
    /// decode for themselves, so one message in another encoding cannot fail a whole receive.</param>
    public QueueServiceClient Create(QueueMessageEncoding messageEncoding = Encoding)
    {
        var outbox = options.Value;
        var clientOptions = new QueueClientOptions { MessageEncoding = messageEncoding };
        clientOptions.Retry.MaxRetries = outbox.StorageMaxRetries;
        clientOptions.Retry.NetworkTimeout = outbox.StorageNetworkTimeout;
        clientOptions.Retry.Delay = TimeSpan.FromMilliseconds(200);
        clientOptions.Retry.MaxDelay = TimeSpan.FromSeconds(2);

        var name = outbox.Connection;
        var connectionString = configuration[name];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return new QueueServiceClient(connectionString, clientOptions);
        }

        var section = configuration.GetSection(name);
        var serviceUri = section["queueServiceUri"];
        var accountName = section["accountName"];
        Uri? uri = null;
        if (!string.IsNullOrWhiteSpace(serviceUri))
        {
            uri = new Uri(serviceUri, UriKind.Absolute);
        }
        else if (!string.IsNullOrWhiteSpace(accountName))
        {
            uri = new Uri($"https://{accountName}.queue.core.windows.net");
        }

        if (uri is null)
        {
            throw new InvalidOperationException(
                $"Storage connection '{name}' is not configured: set '{name}' to a connection string, or '{name}__queueServiceUri' " +
                $"(with '{name}__credential=managedidentity' and '{name}__clientId' for a user-assigned identity).");
        }

        return new QueueServiceClient(uri, CreateCredential(section), clientOptions);
    }

    internal static TokenCredential CreateCredential(IConfigurationSection section)
    {
        var clientId = section["clientId"];
        if (string.Equals(section["credential"], "managedidentity", StringComparison.OrdinalIgnoreCase))
        {
            return string.IsNullOrWhiteSpace(clientId)
                ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
                : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
        }

        var defaults = new DefaultAzureCredentialOptions();
        if (!string.IsNullOrWhiteSpace(clientId))
        {
            defaults.ManagedIdentityClientId = clientId;
        }

        return new DefaultAzureCredential(defaults);
    }
}
