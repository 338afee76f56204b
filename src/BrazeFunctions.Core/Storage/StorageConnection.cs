using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Microsoft.Extensions.Configuration;

namespace BrazeFunctions.Core.Storage;

/// <summary>
/// One storage connection setting as the Functions host reads it for a trigger: a connection string
/// (<c>AzureWebJobsStorage=UseDevelopmentStorage=true</c>), or identity-based settings
/// (<c>AzureWebJobsStorage__queueServiceUri</c> / <c>__tableServiceUri</c> / <c>__accountName</c>, optionally
/// <c>__credential=managedidentity</c> and <c>__clientId</c>).
/// </summary>
internal sealed record StorageConnection(string? ConnectionString, Uri? ServiceUri, TokenCredential? Credential)
{
    private static readonly ConcurrentDictionary<(int Limit, bool EndingWrites), HttpPipelineTransport> Transports = new();

    /// <summary>The relay's storage retry policy, the same for queues and tables: <see cref="OutboxOptions.StorageMaxRetries"/> tries, each bounded by <see cref="OutboxOptions.StorageNetworkTimeout"/>.</summary>
    public static void ApplyRetryPolicy(RetryOptions retry, OutboxOptions outbox)
    {
        ArgumentNullException.ThrowIfNull(retry);
        ArgumentNullException.ThrowIfNull(outbox);
        retry.MaxRetries = outbox.StorageMaxRetries;
        retry.NetworkTimeout = outbox.StorageNetworkTimeout;
        retry.Delay = TimeSpan.FromMilliseconds(200);
        retry.MaxDelay = TimeSpan.FromSeconds(2);
    }

    /// <summary>
    /// The relay's storage clients share one transport per connection limit (<see cref="OutboxOptions.StorageMaxConnections"/>),
    /// so requests beyond the limit wait for a pooled connection instead of opening new ones. The writes that end a dispatch
    /// run have a pool of their own: their short tries must not be spent waiting behind a burst of ingress sends.
    /// </summary>
    public static void ApplyTransport(ClientOptions options, OutboxOptions outbox, bool endingWrites = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(outbox);
        if (outbox.StorageMaxConnections > 0)
        {
            options.Transport = Transports.GetOrAdd((outbox.StorageMaxConnections, endingWrites), static key => new HttpClientTransport(
                new SocketsHttpHandler { MaxConnectionsPerServer = key.Limit, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) }));
        }
    }

    /// <summary>The policy of the writes that end a dispatch run: short tries, quick backoff (<see cref="OutboxOptions.EndingWriteTimeout"/>).</summary>
    public static void ApplyEndingWritePolicy(RetryOptions retry, OutboxOptions outbox)
    {
        ArgumentNullException.ThrowIfNull(retry);
        ArgumentNullException.ThrowIfNull(outbox);
        retry.MaxRetries = outbox.EndingWriteRetries;
        retry.NetworkTimeout = outbox.EndingWriteTimeout;
        retry.Delay = TimeSpan.FromMilliseconds(100);
        retry.MaxDelay = TimeSpan.FromSeconds(1);
    }

    /// <summary>Resolves <paramref name="name"/> for one service (<c>queue</c>, <c>table</c> or <c>blob</c>).</summary>
    /// <exception cref="StorageNotConfiguredException">Neither form is configured; the message names the settings to set.</exception>
    public static StorageConnection Resolve(IConfiguration configuration, string name, string service)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connectionString = configuration[name];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return new StorageConnection(connectionString, null, null);
        }

        var section = configuration.GetSection(name);
        var serviceUri = section[service + "ServiceUri"];
        var accountName = section["accountName"];
        var uri = !string.IsNullOrWhiteSpace(serviceUri) ? new Uri(serviceUri, UriKind.Absolute)
            : !string.IsNullOrWhiteSpace(accountName) ? new Uri($"https://{accountName}.{service}.core.windows.net")
            : throw new StorageNotConfiguredException(
                $"Storage connection '{name}' is not configured for the {service} service: set '{name}' to a connection string, or '{name}__{service}ServiceUri' " +
                $"(with '{name}__credential=managedidentity' and '{name}__clientId' for a user-assigned identity).");
        return new StorageConnection(null, uri, CreateCredential(section));
    }

    private static TokenCredential CreateCredential(IConfigurationSection section)
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

/// <summary>No connection string and no identity-based settings for a storage connection: the message names what to set.</summary>
internal sealed class StorageNotConfiguredException(string message) : InvalidOperationException(message);
