using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BrazeFunctions.Core.Storage;

namespace BrazeFunctions.Infra.Tests;

/// <summary>
/// The workbook and the alert rules read the relay's own telemetry: customMetrics of meter BrazeFunctions.Relay with the
/// tags in customDimensions. These tests hold the queries to the instrument names and tags the code publishes, and
/// check each alert's condition and threshold parameter.
/// </summary>
[Collection(InfraCollection.Name)]
public sealed partial class MonitoringTemplateTests(InfraBuild build)
{
    // Instrument names of meter BrazeFunctions.Relay, as the settings and metrics contract fixes them.
    private static readonly HashSet<string> ContractInstruments = new(StringComparer.Ordinal)
    {
        "relay.webhooks.received", "relay.webhooks.rejected", "relay.deliveries.delivered", "relay.deliveries.rate_limited",
        "relay.deliveries.deferred", "relay.deliveries.retried", "relay.deliveries.dead_lettered", "relay.deliveries.aborted",
        "relay.braze.partial_errors", "relay.braze.request.duration", "relay.delivery.age",
        "relay.braze.request.objects", "relay.batch.flushes", "relay.batch.split_requests", "relay.pacing.waits",
        "relay.pacing.wait.duration", "relay.pacing.shared_state", "relay.idempotency.duplicates", "relay.idempotency.ambiguous",
        "relay.idempotency.claim_conflicts", "relay.idempotency.store_failures", "relay.queue.depth", "relay.queue.oldest_age",
        "relay.braze.credential_rejected",
    };

    private static readonly HashSet<string> ContractTags = new(StringComparer.Ordinal)
    {
        "route", "status", "endpoint", "reason", "type", "workspace", "queue", "bucket", "outcome", "operation", "result", "stage", "policy", "error",
    };

    [Fact]
    public void Queries_MainParameters_UseTheRelayInstrumentNamesAndTags()
    {
        var snapshot = build.Snapshot(InfraBuild.MainParameters);
        // The workbook as deployed (not re-serialised, which would escape the quotes around instrument names).
        var workbookText = snapshot.Single("Microsoft.Insights/workbooks").Properties?["serializedData"]?.GetValue<string>() ?? string.Empty;
        var alertQueries = AlertRules(snapshot).Select(r => r.Query).ToList();

        var workbookNames = InstrumentName().Matches(workbookText).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
        var alertNames = alertQueries.SelectMany(q => InstrumentName().Matches(q).Select(m => m.Value)).ToHashSet(StringComparer.Ordinal);
        Assert.Subset(ContractInstruments, workbookNames);
        Assert.Subset(ContractInstruments, alertNames);
        // Every instrument has a chart.
        Assert.Equal(ContractInstruments.Order(StringComparer.Ordinal), workbookNames.Order(StringComparer.Ordinal));
        Assert.Superset(
            new HashSet<string>(StringComparer.Ordinal)
            {
                "relay.deliveries.dead_lettered", "relay.deliveries.rate_limited", "relay.webhooks.rejected", "relay.queue.depth",
                "relay.queue.oldest_age", "relay.braze.credential_rejected",
            },
            alertNames);

        var tags = CustomDimension().Matches(workbookText + string.Join('\n', alertQueries)).Select(m => m.Groups["tag"].Value).ToHashSet(StringComparer.Ordinal);
        Assert.Subset(ContractTags, tags);

        // The ingress instruments exist in the code today: check the names against the meter itself.
        var published = CodeContract.PublishedInstruments();
        Assert.All(workbookNames.Concat(alertNames).Where(n => n.StartsWith("relay.webhooks.", StringComparison.Ordinal)), n => Assert.Contains(n, published));
    }

    [Fact]
    public void Workbook_MainParameters_ChartsTheDeliveryMetricsWithTheirTags()
    {
        var queries = Workbook(build.Snapshot(InfraBuild.MainParameters))["items"]!.AsArray()
            .Select(i => i?["content"]?["query"]?.GetValue<string>())
            .OfType<string>()
            .ToList();

        // Each new delivery metric is charted with the tags that tell its story.
        foreach (var (instrument, tags) in new (string, string[])[]
        {
            ("relay.braze.request.objects", ["workspace", "endpoint"]),
            ("relay.batch.flushes", ["reason"]),
            ("relay.batch.split_requests", []),
            ("relay.pacing.waits", ["workspace", "bucket", "outcome"]),
            ("relay.pacing.wait.duration", []),
            ("relay.pacing.shared_state", ["operation", "result"]),
            ("relay.idempotency.duplicates", ["stage", "route"]),
            ("relay.idempotency.ambiguous", ["policy", "route"]),
            ("relay.idempotency.claim_conflicts", ["route"]),
            ("relay.idempotency.store_failures", ["stage"]),
            ("relay.queue.depth", ["queue"]),
            ("relay.queue.oldest_age", ["queue"]),
            ("relay.braze.credential_rejected", ["workspace", "endpoint", "status"]),
        })
        {
            var charts = queries.Where(q => q.Contains($"\"{instrument}\"", StringComparison.Ordinal)).ToList();
            Assert.True(charts.Count > 0, $"No workbook chart reads {instrument}.");
            Assert.All(tags, tag => Assert.Contains(charts, q => q.Contains($"customDimensions.{tag}", StringComparison.Ordinal)));
        }

        // Histograms arrive as sum/count/min/max per interval: averages come from sums, never from a plain avg(value).
        Assert.All(queries.Where(q => q.Contains("relay.braze.request.objects", StringComparison.Ordinal) || q.Contains("relay.pacing.wait.duration", StringComparison.Ordinal)),
            q => Assert.Contains("valueCount", q, StringComparison.Ordinal));
    }

    [Fact]
    public void Alerts_MainParameters_WatchOutboxDepthAndAgeWithTheDefaultThresholds()
    {
        var rules = AlertRules(build.Snapshot(InfraBuild.MainParameters));
        var outbox = OutboxOptions.DefaultQueueName;

        var depth = Assert.Single(rules, r => r.Query.Contains("\"relay.queue.depth\"", StringComparison.Ordinal) && r.Query.Contains($"== \"{outbox}\"", StringComparison.Ordinal));
        Assert.Equal(("Maximum", "GreaterThan", 100000d, 3), (depth.Aggregation, depth.Operator, depth.Threshold, depth.FailingPeriods));
        var age = Assert.Single(rules, r => r.Query.Contains("\"relay.queue.oldest_age\"", StringComparison.Ordinal) && r.Query.Contains($"== \"{outbox}\"", StringComparison.Ordinal));
        Assert.Equal(("Maximum", "GreaterThan", 3600d, 3), (age.Aggregation, age.Operator, age.Threshold, age.FailingPeriods));
        Assert.All(new[] { depth, age }, r => Assert.Contains("customDimensions.queue", r.Query, StringComparison.Ordinal));
    }

    [Fact]
    public void Alerts_MainParameters_FireOnAnyPoisonMessageAndAnyDeadLetter()
    {
        var rules = AlertRules(build.Snapshot(InfraBuild.MainParameters));
        var poisonQueue = new OutboxOptions().PoisonQueueName;

        // The queue probe sees every message on the poison queue, the host's own moves included.
        var poison = Assert.Single(rules, r => r.Query.Contains("\"relay.queue.depth\"", StringComparison.Ordinal) && r.Query.Contains($"== \"{poisonQueue}\"", StringComparison.Ordinal));
        Assert.Equal(("Maximum", "GreaterThan", 0d, 1), (poison.Aggregation, poison.Operator, poison.Threshold, poison.FailingPeriods));
        var deadLetter = Assert.Single(rules, r => r.Query.Contains("\"relay.deliveries.dead_lettered\"", StringComparison.Ordinal));
        Assert.Equal(("Total", "GreaterThan", 0d, 1), (deadLetter.Aggregation, deadLetter.Operator, deadLetter.Threshold, deadLetter.FailingPeriods));
    }

    [Fact]
    public void Alerts_MainParameters_WatchIngress4xxSpikesAndBrazeCredentialRejections()
    {
        var rules = AlertRules(build.Snapshot(InfraBuild.MainParameters));

        var rejected = Assert.Single(rules, r => r.Query.Contains("\"relay.webhooks.rejected\"", StringComparison.Ordinal) && r.Query.Contains("between (400 .. 499)", StringComparison.Ordinal));
        Assert.Equal(("Total", "GreaterThan", 10d), (rejected.Aggregation, rejected.Operator, rejected.Threshold));
        Assert.Equal(["status"], rejected.Dimensions);

        var credentials = Assert.Single(rules, r => r.Query.Contains("\"relay.braze.credential_rejected\"", StringComparison.Ordinal));
        Assert.Equal(("Total", "GreaterThan", 0d), (credentials.Aggregation, credentials.Operator, credentials.Threshold));
        Assert.Equal(["endpoint", "status", "workspace"], credentials.Dimensions.Order(StringComparer.Ordinal));
        Assert.Equal(1, credentials.Severity);
    }

    [Fact]
    public void IngressFailureAlert_MainParameters_LeavesOutIdempotencyKeyInProgress()
    {
        var rules = AlertRules(build.Snapshot(InfraBuild.MainParameters));
        var failures = Assert.Single(rules, r => r.Name.EndsWith("-ingress-failures", StringComparison.Ordinal));
        var (requests, metric) = SplitUnion(failures.Query);

        // The requests side counts 5xx other than 503: every 503 the ingress answers is counted by the metric with its error code.
        Assert.Contains("toint(resultCode) >= 500", requests, StringComparison.Ordinal);
        Assert.Contains("toint(resultCode) != 503", requests, StringComparison.Ordinal);
        // The metric side reads the error tag and drops exactly the harmless 503; storage_unavailable still fires.
        Assert.Contains("\"relay.webhooks.rejected\"", metric, StringComparison.Ordinal);
        Assert.Contains("tostring(customDimensions.status) == \"503\"", metric, StringComparison.Ordinal);
        Assert.Contains("error = tostring(customDimensions.error)", metric, StringComparison.Ordinal);
        Assert.Matches(@"\| where error != ""idempotency_key_in_progress""\n", metric);
        Assert.DoesNotContain("storage_unavailable", failures.Query, StringComparison.Ordinal);
        Assert.Equal(("Total", "GreaterThan", 0d, 1), (failures.Aggregation, failures.Operator, failures.Threshold, failures.FailingPeriods));
        Assert.Equal(["source"], failures.Dimensions);

        // The code spells the error codes the query names: the ingress answers them and tags the metric with them.
        var ingress = CodeContract.CoreSources(build.RepositoryRoot).Single(f => f.EndsWith("WebhookIngress.cs", StringComparison.Ordinal));
        var text = File.ReadAllText(ingress);
        Assert.Contains("metrics.WebhookRejected(StatusCodes.Status503ServiceUnavailable, \"idempotency_key_in_progress\")", text, StringComparison.Ordinal);
        Assert.Contains("metrics.WebhookRejected(StatusCodes.Status503ServiceUnavailable, \"storage_unavailable\")", text, StringComparison.Ordinal);
    }

    [Fact]
    public void AlertThresholds_TwoWorkspacesPrivate_FollowTheirParameters()
    {
        var rules = AlertRules(build.Snapshot("two-workspaces-private"));

        Assert.Equal(25000d, Assert.Single(rules, r => r.Name.EndsWith("-outbox-depth", StringComparison.Ordinal)).Threshold);
        Assert.Equal(900d, Assert.Single(rules, r => r.Name.EndsWith("-outbox-age", StringComparison.Ordinal)).Threshold);
        Assert.Equal(3d, Assert.Single(rules, r => r.Name.EndsWith("-ingress-4xx", StringComparison.Ordinal)).Threshold);
        var parameters = build.Template.Root.Template["parameters"]!;
        Assert.All(new[] { "queueDepthAlertThreshold", "queueOldestAgeAlertSeconds", "ingressRejectedAlertThreshold" },
            p => Assert.Equal("int", parameters[p]?["type"]?.GetValue<string>()));
    }

    [Fact]
    public void Alerts_MainParameters_WatchTheIngressFunctionAndTheHealthEndpoint()
    {
        var snapshot = build.Snapshot(InfraBuild.MainParameters);
        var functions = CodeContract.FunctionSources(build.RepositoryRoot);
        var ingressName = CodeContract.FunctionName().Match(functions["WebhookIngressFunction.cs"]).Groups["name"].Value;
        var healthRoute = CodeContract.RouteValue().Match(functions["HealthFunction.cs"]).Groups["route"].Value;
        var hooksRoute = CodeContract.RouteValue().Match(functions["WebhookIngressFunction.cs"]).Groups["route"].Value;
        var routePrefix = JsonNode.Parse(File.ReadAllText(Path.Combine(build.RepositoryRoot, "host.json")))?["extensions"]?["http"]?["routePrefix"]?.GetValue<string>();

        var rules = AlertRules(snapshot);
        Assert.Contains(rules, r => r.Query.Contains($"name == \"{ingressName}\"", StringComparison.Ordinal));
        Assert.All(rules, r => Assert.Contains("/actionGroups/ag-", r.ActionGroups, StringComparison.Ordinal));

        var webTest = snapshot.Single("Microsoft.Insights/webtests");
        Assert.Matches($@"^\[format\('https://\{{0\}}/{routePrefix}/{healthRoute}', reference\('[^']+/Microsoft\.Web/sites/[^']+', '[^']+'\)\.defaultHostName\)\]$", webTest.Properties?["Request"]?["RequestUrl"]?.ToString());
        Assert.Equal(200, webTest.Properties?["ValidationRules"]?["ExpectedHttpStatusCode"]?.GetValue<int>());
        var healthAlert = snapshot.Single("Microsoft.Insights/metricAlerts");
        Assert.Equal("Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria", healthAlert.Properties?["criteria"]?["odata.type"]?.GetValue<string>());
        Assert.Contains("/actionGroups/ag-", healthAlert.Properties?["actions"]?.ToJsonString(), StringComparison.Ordinal);

        var outputs = build.Template.Root.Template["outputs"]!;
        // format() doubles literal braces: {{route}} is the text {route}.
        var webhookPattern = outputs["WEBHOOK_URL_PATTERN"]?["value"]?.ToString().Replace("{{", "{", StringComparison.Ordinal).Replace("}}", "}", StringComparison.Ordinal);
        Assert.Contains($"/{routePrefix}/{hooksRoute}'", webhookPattern, StringComparison.Ordinal);
        Assert.Contains($"/{routePrefix}/{healthRoute}", outputs["HEALTH_URL"]?["value"]?.ToString(), StringComparison.Ordinal);
        Assert.NotNull(outputs["AZURE_FUNCTION_APP_NAME"]);
        Assert.NotNull(outputs["APPLICATIONINSIGHTS_RESOURCE_ID"]);
    }

    /// <summary>The two branches of a <c>union (a), (b)</c> query, split at the closing parenthesis of the first.</summary>
    private static (string First, string Second) SplitUnion(string query)
    {
        Assert.StartsWith("union", query, StringComparison.Ordinal);
        var split = query.IndexOf("),", StringComparison.Ordinal);
        Assert.True(split > 0, $"Not a union of two queries: {query}");
        return (query[..split], query[(split + 2)..]);
    }

    private static JsonNode Workbook(DeploymentSnapshot snapshot)
    {
        var serialized = snapshot.Single("Microsoft.Insights/workbooks").Properties?["serializedData"]?.GetValue<string>();
        return JsonNode.Parse(serialized ?? string.Empty) ?? throw new InvalidOperationException("The workbook content is not JSON.");
    }

    private static List<AlertRule> AlertRules(DeploymentSnapshot snapshot) =>
        snapshot.OfType("Microsoft.Insights/scheduledQueryRules").Select(r =>
        {
            var criterion = Assert.Single(r.Properties!["criteria"]!["allOf"]!.AsArray())!;
            return new AlertRule(
                r.Name,
                criterion["query"]!.GetValue<string>(),
                criterion["timeAggregation"]!.GetValue<string>(),
                criterion["operator"]!.GetValue<string>(),
                criterion["threshold"]!.GetValue<double>(),
                criterion["failingPeriods"]!["minFailingPeriodsToAlert"]!.GetValue<int>(),
                (criterion["dimensions"]?.AsArray() ?? []).Select(d => d!["name"]!.GetValue<string>()).ToList(),
                r.Properties["severity"]!.GetValue<int>(),
                r.Properties["actions"]?.ToJsonString() ?? string.Empty);
        }).ToList();

    [GeneratedRegex(@"\brelay(\.[a-z_]+)+\b")]
    private static partial Regex InstrumentName();

    [GeneratedRegex(@"customDimensions\.(?<tag>[A-Za-z_]+)")]
    private static partial Regex CustomDimension();

    private sealed record AlertRule(
        string Name, string Query, string Aggregation, string Operator, double Threshold, int FailingPeriods,
        IReadOnlyList<string> Dimensions, int Severity, string ActionGroups);
}
