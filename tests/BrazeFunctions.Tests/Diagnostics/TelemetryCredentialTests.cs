using Azure.Identity;
using BrazeFunctions.Core.Diagnostics;

namespace BrazeFunctions.Tests.Diagnostics;

public sealed class TelemetryCredentialTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void FromAuthenticationString_NotSet_IsNull(string? value)
    {
        Assert.Null(TelemetryCredential.FromAuthenticationString(value));
    }

    [Theory]
    [InlineData("ClientId=7d3c1a2b-0000-4000-8000-123456789abc;Authorization=AAD")]
    [InlineData("Authorization=AAD; ClientId=7d3c1a2b-0000-4000-8000-123456789abc")]
    [InlineData("Authorization=AAD")]
    public void FromAuthenticationString_DocumentedForms_GiveAManagedIdentityCredential(string value)
    {
        Assert.IsType<ManagedIdentityCredential>(TelemetryCredential.FromAuthenticationString(value));
    }

    [Theory]
    [InlineData("ClientId=abc")]
    [InlineData("Authorization=Key")]
    [InlineData("garbage")]
    public void FromAuthenticationString_OtherForms_FailNamingTheSetting(string value)
    {
        var error = Assert.Throws<FormatException>(() => TelemetryCredential.FromAuthenticationString(value));
        Assert.Contains("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", error.Message, StringComparison.Ordinal);
    }
}
