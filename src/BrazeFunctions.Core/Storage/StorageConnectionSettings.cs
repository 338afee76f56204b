using Microsoft.Extensions.Configuration;

namespace BrazeFunctions.Core.Storage;

/// <summary>
/// One storage connection setting in all its forms, as <see cref="StorageConnection"/> resolves it: the connection string
/// (<c>AzureWebJobsStorage</c>) or the identity-based settings under it (<c>AzureWebJobsStorage__queueServiceUri</c>,
/// <c>__tableServiceUri</c>, <c>__accountName</c>, <c>__credential</c>, <c>__clientId</c>). A connection must come whole
/// from one place: mixing a connection string from one source with a service URI from another would pick the string
/// silently, so whoever layers settings (the CLI) asks <see cref="IsSet"/> per source and keeps only the winner's
/// <see cref="Keys"/>. <see cref="Describe"/> says what a connection points at without any key or signature.
/// </summary>
public static class StorageConnectionSettings
{
    private static readonly string[] IdentityParts = ["queueServiceUri", "tableServiceUri", "blobServiceUri", "accountName", "credential", "clientId"];

    /// <summary>Every setting name (configuration form, <c>:</c> as separator) that makes up connection <paramref name="name"/>.</summary>
    public static IReadOnlyList<string> Keys(string name) => [name, .. IdentityParts.Select(p => name + ":" + p)];

    /// <summary>True when <paramref name="configuration"/> holds connection <paramref name="name"/> in any form.</summary>
    public static bool IsSet(IConfiguration configuration, string name)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !string.IsNullOrWhiteSpace(configuration[name])
            || IdentityParts.Take(4).Any(p => !string.IsNullOrWhiteSpace(configuration[name + ":" + p]));
    }

    /// <summary>
    /// What connection <paramref name="name"/> points at, e.g. <c>connection string, account devstoreaccount1 (Azurite)</c>
    /// or <c>identity (DefaultAzureCredential): queue https://acct.queue.core.windows.net/</c>. Never a key or a SAS.
    /// </summary>
    public static string Describe(IConfiguration configuration, string name)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connectionString = configuration[name];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return DescribeConnectionString(connectionString);
        }

        var section = configuration.GetSection(name);
        if (!IsSet(configuration, name))
        {
            return "not configured";
        }

        var credential = string.Equals(section["credential"], "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? "managed identity" + (string.IsNullOrWhiteSpace(section["clientId"]) ? string.Empty : " " + section["clientId"])
            : "DefaultAzureCredential: az login, environment, managed identity...";
        var account = section["accountName"];
        var parts = new List<string>();
        foreach (var service in new[] { "queue", "table" })
        {
            var uri = section[service + "ServiceUri"];
            parts.Add(!string.IsNullOrWhiteSpace(uri) ? $"{service} {uri}"
                : !string.IsNullOrWhiteSpace(account) ? $"{service} https://{account}.{service}.core.windows.net"
                : $"{service} not set");
        }

        return $"identity ({credential}): {string.Join(", ", parts)}";
    }

    private static string DescribeConnectionString(string connectionString)
    {
        var values = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .GroupBy(p => p[0], StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.OrdinalIgnoreCase);
        if (values.TryGetValue("UseDevelopmentStorage", out var development) && development.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            return "connection string, development storage (Azurite on 127.0.0.1:10001 and :10002)";
        }

        var account = values.GetValueOrDefault("AccountName");
        var queue = values.GetValueOrDefault("QueueEndpoint");
        var where = queue is not null ? $"queue {queue}" : account is not null ? $"account {account}" : "no account name";
        var auth = values.ContainsKey("AccountKey") ? "shared key" : values.ContainsKey("SharedAccessSignature") ? "SAS" : "no key";
        return $"connection string, {where} ({auth}, not shown)";
    }
}
