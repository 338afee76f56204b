using Azure.Core;
using Azure.Identity;

namespace BrazeFunctions.Core.Diagnostics;

/// <summary>Reads <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> (<c>ClientId=&lt;id&gt;;Authorization=AAD</c>) into a managed-identity credential.</summary>
public static class TelemetryCredential
{
    /// <summary>
    /// A user-assigned identity when a <c>ClientId</c> is given, the system-assigned one for <c>Authorization=AAD</c> alone,
    /// null when the setting is empty (the connection string's key is used).
    /// </summary>
    /// <exception cref="FormatException">The setting is present but not in the documented form.</exception>
    public static TokenCredential? FromAuthenticationString(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        string? clientId = null;
        string? authorization = null;
        foreach (var part in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException("APPLICATIONINSIGHTS_AUTHENTICATION_STRING must look like 'ClientId=<client id>;Authorization=AAD'.");
            }

            var key = part[..equals].Trim();
            var item = part[(equals + 1)..].Trim();
            if (key.Equals("ClientId", StringComparison.OrdinalIgnoreCase))
            {
                clientId = item;
            }
            else if (key.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            {
                authorization = item;
            }
        }

        if (!string.Equals(authorization, "AAD", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException("APPLICATIONINSIGHTS_AUTHENTICATION_STRING must contain 'Authorization=AAD'.");
        }

        return string.IsNullOrEmpty(clientId)
            ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
    }
}
