using System.Diagnostics;
using BrazeFunctions.Core.Braze;
using OpenTelemetry.Trace;

namespace BrazeFunctions.Telemetry;

/// <summary>
/// Dependency spans: every HttpClient call (the Braze client's carry <c>braze.endpoint</c> and <c>braze.workspace</c>
/// beside the URL and <c>http.response.status_code</c>) and the Azure SDK's own spans of queue and table calls. The
/// SecretRedactingProcessor cleans them all before export: the URL's query values, and any credential in a tag.
/// </summary>
internal static class DependencyTelemetry
{
    /// <summary>Azure.Core's switch for ActivitySource-based spans (still marked experimental in Azure.Core).</summary>
    public const string AzureSdkActivitySourceSwitch = "Azure.Experimental.EnableActivitySource";

    /// <summary>Every Azure SDK client's source ("Azure.Storage.Queues.QueueClient", "Azure.Data.Tables.TableClient") and its HTTP source ("Azure.Core.Http").</summary>
    public const string AzureSdkSources = "Azure.*";

    /// <summary>The source of the Azure SDK's span for one HTTP request; HttpClient's span under it would say the same again.</summary>
    public const string AzureSdkHttpSource = "Azure.Core.Http";

    public const string BrazeEndpointTag = "braze.endpoint";

    public const string BrazeWorkspaceTag = "braze.workspace";

    /// <summary>
    /// Turns on the Azure SDK's ActivitySource spans. Azure.Core reads the switch once per process, when its first client is
    /// made, so this runs before anything builds one (Program.cs calls AddRelayTelemetry before the host is built).
    /// </summary>
    public static void EnableAzureSdkActivities() => AppContext.SetSwitch(AzureSdkActivitySourceSwitch, true);

    public static TracerProviderBuilder AddRelayDependencies(this TracerProviderBuilder tracing)
    {
        ArgumentNullException.ThrowIfNull(tracing);
        return tracing
            .AddSource(AzureSdkSources)
            .AddHttpClientInstrumentation(options =>
            {
                options.FilterHttpRequestMessage = _ => !IsUnderAzureSdkRequest(Activity.Current);
                options.EnrichWithHttpRequestMessage = (activity, request) =>
                {
                    if (request.Options.TryGetValue(BrazeRequestOptions.Endpoint, out var endpoint))
                    {
                        activity.SetTag(BrazeEndpointTag, endpoint);
                    }

                    if (request.Options.TryGetValue(BrazeRequestOptions.Workspace, out var workspace))
                    {
                        activity.SetTag(BrazeWorkspaceTag, workspace);
                    }
                };
            });
    }

    /// <summary>
    /// Whether the HttpClient span being started belongs to an Azure SDK request, which already has a client span of its
    /// own (source Azure.Core.Http) with the same URL and status. Walks up from the current activity, whichever of the new
    /// span or its parent the runtime's instrumentation has made current when it asks.
    /// </summary>
    internal static bool IsUnderAzureSdkRequest(Activity? current)
    {
        for (var activity = current; activity is not null; activity = activity.Parent)
        {
            if (activity.Source.Name == AzureSdkHttpSource)
            {
                return true;
            }
        }

        return false;
    }
}
