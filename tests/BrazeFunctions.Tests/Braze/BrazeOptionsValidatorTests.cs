using BrazeFunctions.Core.Braze;

namespace BrazeFunctions.Tests.Braze;

public sealed class BrazeOptionsValidatorTests
{
    private static readonly BrazeOptionsValidator Validator = new();

    [Theory]
    [InlineData("https://rest.fra-01.braze.eu")]
    [InlineData("https://rest.iad-05.braze.com/")]
    [InlineData("https://REST.US-10.BRAZE.COM")]
    [InlineData("https://rest.kr-01.braze.com")]
    public void Validate_DocumentedHost_Succeeds(string endpoint)
    {
        Assert.True(Validator.Validate(null, new BrazeOptions { RestEndpoint = new Uri(endpoint), ApiKey = "k" }).Succeeded);
    }

    [Theory]
    [InlineData("https://rest.iad-09.braze.com", "not one of Braze's documented REST hosts")]
    [InlineData("https://evil.example.com", "not one of Braze's documented REST hosts")]
    [InlineData("http://rest.fra-01.braze.eu", "https")]
    [InlineData("https://rest.fra-01.braze.eu:8443", "https on the default port")]
    [InlineData("https://rest.fra-01.braze.eu/users/track", "bare host")]
    [InlineData("https://user:pw@rest.fra-01.braze.eu", "bare host")]
    [InlineData("http://127.0.0.1:5000", "AllowLoopbackHttp")]
    public void Validate_OtherEndpoint_FailsNamingTheSetting(string endpoint, string expected)
    {
        var result = Validator.Validate(null, new BrazeOptions { RestEndpoint = new Uri(endpoint), ApiKey = "k" });

        Assert.True(result.Failed);
        Assert.Contains("Braze:RestEndpoint", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000")]
    [InlineData("http://localhost:5000")]
    public void Validate_LoopbackWithExplicitDevSetting_Succeeds(string endpoint)
    {
        Assert.True(Validator.Validate(null, new BrazeOptions { RestEndpoint = new Uri(endpoint), ApiKey = "k", AllowLoopbackHttp = true }).Succeeded);
    }

    [Fact]
    public void Validate_LoopbackSettingDoesNotOpenOtherHosts()
    {
        Assert.True(Validator.Validate(null, new BrazeOptions { RestEndpoint = new Uri("http://10.0.0.5"), ApiKey = "k", AllowLoopbackHttp = true }).Failed);
    }

    [Fact]
    public void ToString_NeverShowsTheKey()
    {
        var options = new BrazeOptions { RestEndpoint = new Uri("https://rest.fra-01.braze.eu"), ApiKey = "sk-secret-123" };

        Assert.DoesNotContain("sk-secret-123", options.ToString(), StringComparison.Ordinal);
    }
}
