using System.Reflection;
using System.Text.Json;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.Core.Pacing;
using BrazeFunctions.Core.Storage;
using BrazeFunctions.Core.Templates;

namespace BrazeFunctions.Tests;

/// <summary>local.settings.sample.json lists every setting, so that it doubles as the reference of what can be set.</summary>
public sealed class SampleSettingsTests
{
    public static TheoryData<Type, string> OptionTypes => new()
    {
        { typeof(OutboxOptions), OutboxOptions.Section },
        { typeof(IngressOptions), IngressOptions.Section },
        { typeof(TemplateCatalogOptions), TemplateCatalogOptions.Section },
        { typeof(BrazeRequestLimits), BrazeRequestLimits.Section },
        { typeof(BrazeOptions), BrazeOptions.Section },
        { typeof(PacingOptions), PacingOptions.Section },
        { typeof(CoalescingOptions), CoalescingOptions.Section },
        { typeof(DeliveryRetryOptions), DeliveryRetryOptions.Section },
        { typeof(IdempotencyOptions), IdempotencyOptions.Section },
    };

    [Theory]
    [MemberData(nameof(OptionTypes))]
    public void Sample_EverySettableOption_IsListed(Type options, string section)
    {
        var values = Values();
        // Named workspaces are a dictionary (Braze__Workspaces__<name>__*): listing one would configure it.
        var missing = options.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod!.IsPublic)
            .Select(p => section + "__" + p.Name)
            .Where(name => !values.Contains(name))
            .ToList();

        Assert.True(missing.Count == 0, "local.settings.sample.json lacks " + string.Join(", ", missing));
    }

    [Fact]
    public void Sample_Braze_PointsAtTheLocalSandboxSoAFirstRunReachesNoBrazeAccount()
    {
        var values = ValuesByName();

        // run-local.sh starts the Braze sandbox on this URL; the sandbox's own tests check that it accepts this key.
        Assert.Equal("http://127.0.0.1:9099", values["Braze__RestEndpoint"]);
        Assert.Equal("braze-sandbox-key", values["Braze__ApiKey"]);
        Assert.Equal("true", values["Braze__AllowLoopbackHttp"]);
        var options = new BrazeOptions { RestEndpoint = new Uri(values["Braze__RestEndpoint"]), ApiKey = values["Braze__ApiKey"], AllowLoopbackHttp = true };
        Assert.True(new BrazeOptionsValidator().Validate(null, options).Succeeded);
    }

    private static HashSet<string> Values() => [.. ValuesByName().Keys];

    private static Dictionary<string, string> ValuesByName()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "local.settings.sample.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("Values").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty);
    }
}
