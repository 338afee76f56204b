using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Diagnostics;

/// <summary>Ingress hardening: event ids 1004-1099. Setting names only, never their values.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1004, Level = LogLevel.Critical, Message = "Start-up stopped: {SettingNames} still hold an unresolved Key Vault reference (check the app's identity, its Key Vault role and the secret URI)")]
    public static partial void UnresolvedKeyVaultReference(ILogger logger, string settingNames);
}
