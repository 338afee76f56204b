using BrazeFunctions.Core.Braze;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Tests.Braze;

public sealed class BrazeWorkspacesTests
{
    [Fact]
    public void Resolve_LegacySettings_AreTheDefaultWorkspace()
    {
        var workspaces = Bind(new() { ["Braze:RestEndpoint"] = "https://rest.fra-01.braze.eu", ["Braze:ApiKey"] = "key-a" });

        var workspace = workspaces.Get("default");
        Assert.Equal(new Uri("https://rest.fra-01.braze.eu"), workspace.RestEndpoint);
        Assert.Equal("key-a", workspace.ApiKey);
        Assert.Equal(["default"], workspaces.Names);
    }

    [Fact]
    public void Resolve_NamedWorkspaces_EachWithItsEndpointKeyAndOverrides()
    {
        var workspaces = Bind(new()
        {
            ["Braze:RestEndpoint"] = "https://rest.fra-01.braze.eu",
            ["Braze:ApiKey"] = "key-eu",
            ["Braze:Workspaces:us:RestEndpoint"] = "https://rest.iad-05.braze.com",
            ["Braze:Workspaces:us:ApiKey"] = "key-us",
            ["Braze:Workspaces:us:MaxUsersTrackObjects"] = "50",
            ["Braze:Workspaces:us:RateLimitShare"] = "0.5",
        });

        Assert.Equal("key-eu", workspaces.Get("default").ApiKey);
        var us = workspaces.Get("us");
        Assert.Equal("key-us", us.ApiKey);
        Assert.Equal(50, us.MaxUsersTrackObjects);
        Assert.Equal(0.5, us.RateLimitShare);
        Assert.DoesNotContain("key-us", us.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_DefaultGivenInTheNamedForm_Works()
    {
        var workspaces = Bind(new() { ["Braze:Workspaces:default:RestEndpoint"] = "https://rest.fra-02.braze.eu", ["Braze:Workspaces:default:ApiKey"] = "key-b" });

        Assert.Equal("key-b", workspaces.Get("default").ApiKey);
    }

    [Theory]
    [InlineData("Braze:Workspaces:default:ApiKey", "key-2", "both set")]
    [InlineData("Braze:Workspaces:Brand-1:RestEndpoint", "https://rest.fra-01.braze.eu", "'brand-1' must be a lower-case letter")]
    [InlineData("Braze:Workspaces:staging:RestEndpoint", "https://evil.example.com", "Braze:Workspaces:staging:RestEndpoint host 'evil.example.com'")]
    [InlineData("Braze:Workspaces:staging:RestEndpoint", "https://rest.fra-01.braze.eu", "Braze:Workspaces:staging:ApiKey is required")]
    public void Validate_BadWorkspaceSettings_FailNamingTheSetting(string setting, string value, string expected)
    {
        var options = BindOptions(new() { ["Braze:RestEndpoint"] = "https://rest.fra-01.braze.eu", ["Braze:ApiKey"] = "key-1", [setting] = value });

        var result = new BrazeOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("key-1", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NothingConfigured_NamesTheSettings()
    {
        var result = new BrazeOptionsValidator().Validate(null, new BrazeOptions());

        Assert.Contains("Braze:RestEndpoint is required", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Braze__Workspaces__<name>__RestEndpoint", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void RateLimitScope_HostAndKeyFingerprint_NeverTheKey()
    {
        var workspaces = Bind(new()
        {
            ["Braze:RestEndpoint"] = "https://rest.fra-01.braze.eu",
            ["Braze:ApiKey"] = "key-production",
            ["Braze:Workspaces:staging:RestEndpoint"] = "https://rest.fra-01.braze.eu",
            ["Braze:Workspaces:staging:ApiKey"] = "key-staging",
            ["Braze:Workspaces:alias:RestEndpoint"] = "https://rest.fra-01.braze.eu",
            ["Braze:Workspaces:alias:ApiKey"] = "key-production",
        });

        var production = workspaces.Get("default").RateLimitScope;
        Assert.StartsWith("rest.fra-01.braze.eu_", production, StringComparison.Ordinal);
        Assert.DoesNotContain("key-production", production, StringComparison.Ordinal);
        Assert.Matches("^[a-z0-9.-]+_[0-9a-f]{24}$", production);
        // Braze keys its limits on the workspace behind the key: same host and key, one budget; another key, another.
        Assert.Equal(production, workspaces.Get("alias").RateLimitScope);
        Assert.NotEqual(production, workspaces.Get("staging").RateLimitScope);
    }

    [Theory]
    [InlineData(null, UsersTrackCapShape.Combined)]
    [InlineData("combined", UsersTrackCapShape.Combined)]
    [InlineData("per-array", UsersTrackCapShape.PerArray)]
    [InlineData(" Per-Array ", UsersTrackCapShape.PerArray)]
    public void Resolve_UsersTrackCapShape_CombinedUnlessTheContractSaysPerArray(string? setting, UsersTrackCapShape expected)
    {
        var workspaces = Bind(new()
        {
            ["Braze:Workspaces:legacy:RestEndpoint"] = "https://rest.fra-01.braze.eu",
            ["Braze:Workspaces:legacy:ApiKey"] = "key",
            ["Braze:Workspaces:legacy:UsersTrackCapShape"] = setting,
        });

        Assert.Equal(expected, workspaces.Get("legacy").CapShape);
    }

    [Fact]
    public void Validate_UnknownCapShape_FailsNamingTheSetting()
    {
        var options = BindOptions(new() { ["Braze:RestEndpoint"] = "https://rest.fra-01.braze.eu", ["Braze:ApiKey"] = "key-1", ["Braze:Workspaces:default:UsersTrackCapShape"] = "each" });

        var result = new BrazeOptionsValidator().Validate(null, options);

        Assert.Contains("Braze:Workspaces:default:UsersTrackCapShape must be 'combined'", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Get_UnknownWorkspace_NamesTheKnownOnes()
    {
        var workspaces = Bind(new() { ["Braze:RestEndpoint"] = "https://rest.fra-01.braze.eu", ["Braze:ApiKey"] = "k" });

        var ex = Assert.Throws<InvalidOperationException>(() => workspaces.Get("brandb"));
        Assert.Contains("'brandb'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("default", ex.Message, StringComparison.Ordinal);
    }

    private static BrazeWorkspaces Bind(Dictionary<string, string?> settings) => new(Options.Create(BindOptions(settings)));

    private static BrazeOptions BindOptions(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddOptions<BrazeOptions>().Bind(configuration.GetSection(BrazeOptions.Section));
        return services.BuildServiceProvider().GetRequiredService<IOptions<BrazeOptions>>().Value;
    }
}
