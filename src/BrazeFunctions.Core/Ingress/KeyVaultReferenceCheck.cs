using BrazeFunctions.Core.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Ingress;

/// <summary>
/// Stops start-up when a setting still holds an <c>@Microsoft.KeyVault(...)</c> reference. App Service leaves the literal
/// reference in place when it cannot resolve it (identity, role or secret URI wrong), and the relay would then use that
/// text as the shared secret or the Braze key: every webhook would get 401, or every delivery a Braze 401, and nothing
/// would say why. The exception and the log name the settings, never their values. The check runs in
/// <see cref="StartingAsync"/>, which the host calls for every hosted service before it starts any: the Functions worker
/// registers its own hosted service (the one that takes invocations) before the app's services, so a check in
/// <c>StartAsync</c> would run only after invocations could already begin.
/// </summary>
internal sealed class KeyVaultReferenceCheck(IConfiguration configuration, ILogger<KeyVaultReferenceCheck> logger) : IHostedLifecycleService
{
    internal const string ReferencePrefix = "@Microsoft.KeyVault(";

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        var unresolved = FindUnresolved(configuration);
        if (unresolved.Count == 0)
        {
            return Task.CompletedTask;
        }

        var names = string.Join(", ", unresolved);
        Log.UnresolvedKeyVaultReference(logger, names);
        throw new InvalidOperationException(
            $"The app setting(s) {names} still hold an unresolved Key Vault reference ('{ReferencePrefix}...'): the platform could not " +
            "read the secret. Check that the app's identity has the Key Vault Secrets User role on the vault, that the vault is reachable " +
            "and that the secret URI exists; the portal shows each reference's status under Environment variables.");
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Every setting whose value starts with the reference prefix, in app-setting form (<c>Braze__ApiKey</c>), sorted.</summary>
    internal static IReadOnlyList<string> FindUnresolved(IConfiguration configuration) =>
        [.. configuration.AsEnumerable()
            .Where(setting => setting.Value is { } value && value.TrimStart().StartsWith(ReferencePrefix, StringComparison.OrdinalIgnoreCase))
            .Select(setting => setting.Key.Replace(ConfigurationPath.KeyDelimiter, "__", StringComparison.Ordinal))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.Ordinal)];
}
