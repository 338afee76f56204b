using YamlDotNet.RepresentationModel;

namespace BrazeFunctions.Infra.Tests;

/// <summary>
/// .github/workflows/azure-dev.yml is the workflow `azd pipeline config` wires up: build and test, then provision and
/// deploy with federated credentials. azure.yaml lists the settings azd copies to the pipeline; together they must carry
/// every variable infra/subscription.bicepparam reads, and each secure one only as a secret.
/// </summary>
[Collection(InfraCollection.Name)]
public sealed class PipelineWorkflowTests(InfraBuild build)
{
    // azd pipeline config sets these repository variables itself.
    private static readonly string[] AzdVariables = ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID", "AZURE_ENV_NAME", "AZURE_LOCATION"];

    [Fact]
    public void Workflow_Jobs_TestThenProvisionAndDeployWithFederatedCredentials()
    {
        var jobs = Map(Workflow(), "jobs");
        var test = Map(jobs, "build-and-test");
        var deploy = Map(jobs, "provision-and-deploy");

        Assert.Contains("bash scripts/test.sh", Runs(test));
        Assert.Equal("build-and-test", Scalar(deploy, "needs"));
        Assert.Equal("github.event_name != 'pull_request'", Scalar(deploy, "if"));
        // The OIDC token is what the federated credential trusts; no client secret anywhere.
        Assert.Equal("write", Scalar(Map(deploy, "permissions"), "id-token"));
        Assert.DoesNotContain("AZURE_CLIENT_SECRET", File.ReadAllText(WorkflowPath()), StringComparison.Ordinal);
        var env = Map(deploy, "env");
        Assert.All(AzdVariables, name => Assert.Equal($"${{{{ vars.{name} }}}}", Scalar(env, name)));

        var runs = Runs(deploy);
        var login = runs.FindIndex(r => r.StartsWith("azd auth login", StringComparison.Ordinal));
        var provision = runs.IndexOf("azd provision --no-prompt");
        var release = runs.IndexOf("azd deploy --no-prompt");
        Assert.True(login >= 0 && login < provision && provision < release, string.Join('\n', runs));
        Assert.Contains("--federated-credential-provider \"github\"", runs[login], StringComparison.Ordinal);
    }

    [Fact]
    public void Pipeline_Settings_CarryEverySubscriptionParameterVariableAndSecretsOnlyAsSecrets()
    {
        var azure = Load(Path.Combine(build.RepositoryRoot, "azure.yaml"));
        var pipeline = Map(azure, "pipeline");
        var variables = Sequence(pipeline, "variables");
        var secrets = Sequence(pipeline, "secrets");
        var parameters = build.SubscriptionTemplate.Root.Template["parameters"]!.AsObject();
        var read = build.SubscriptionEnvironmentVariablesByParameter;
        var secure = read.Where(p => parameters[p.Key]?["type"]?.GetValue<string>() is "securestring" or "secureObject").Select(p => p.Value).ToHashSet(StringComparer.Ordinal);

        Assert.Equal("github", Scalar(pipeline, "provider"));
        Assert.Equal(4, secure.Count);
        Assert.Equal(secure.Order(StringComparer.Ordinal), secrets.Order(StringComparer.Ordinal));
        Assert.Equal(
            read.Values.Except(secure).Except(AzdVariables).Order(StringComparer.Ordinal),
            variables.Order(StringComparer.Ordinal));

        // The workflow exports each of them, secrets from secrets and the rest from variables.
        var export = ((YamlSequenceNode)Map(Map(Workflow(), "jobs"), "provision-and-deploy").Children[new YamlScalarNode("steps")]).Children
            .Cast<YamlMappingNode>()
            .Single(s => Scalar(s, "name").StartsWith("Export the relay's settings", StringComparison.Ordinal));
        var exported = Map(export, "env").Children.ToDictionary(p => ((YamlScalarNode)p.Key).Value!, p => ((YamlScalarNode)p.Value).Value!, StringComparer.Ordinal);
        Assert.Equal(variables.Concat(secrets).Select(n => $"SETTING_{n}").Order(StringComparer.Ordinal), exported.Keys.Order(StringComparer.Ordinal));
        Assert.All(variables, n => Assert.Equal($"${{{{ vars.{n} }}}}", exported[$"SETTING_{n}"]));
        Assert.All(secrets, n => Assert.Equal($"${{{{ secrets.{n} }}}}", exported[$"SETTING_{n}"]));
    }

    private string WorkflowPath() => Path.Combine(build.RepositoryRoot, ".github", "workflows", "azure-dev.yml");

    private YamlMappingNode Workflow() => Load(WorkflowPath());

    private static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[new YamlScalarNode(key)];

    private static string Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value ?? string.Empty : string.Empty;

    private static List<string> Sequence(YamlMappingNode node, string key) =>
        [.. ((YamlSequenceNode)node.Children[new YamlScalarNode(key)]).Children.Select(c => c is YamlScalarNode s ? s.Value! : string.Empty)];

    private static List<string> Runs(YamlMappingNode job) =>
        [.. ((YamlSequenceNode)job.Children[new YamlScalarNode("steps")]).Children.Cast<YamlMappingNode>().Select(s => Scalar(s, "run").Trim())];
}
