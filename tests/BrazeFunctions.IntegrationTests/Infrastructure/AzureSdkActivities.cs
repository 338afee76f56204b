using System.Runtime.CompilerServices;
using BrazeFunctions.Telemetry;

namespace BrazeFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// Azure.Core reads its ActivitySource switch once per process, when the first Azure SDK client is made. The app sets it
/// in AddRelayTelemetry before anything builds a client; a test process builds clients in every collection, in any order,
/// so the same production call runs here first, before any test.
/// </summary>
internal static class AzureSdkActivities
{
#pragma warning disable CA2255 // The test assembly is no library anyone references: running first is exactly what is needed.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Enable() => DependencyTelemetry.EnableAzureSdkActivities();
}
