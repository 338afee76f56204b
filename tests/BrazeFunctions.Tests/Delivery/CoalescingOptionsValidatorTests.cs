using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Pacing;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Tests.Delivery;

public sealed class CoalescingOptionsValidatorTests
{
    [Fact]
    public void Validate_ShortRateLimitWaitBelowTheLinger_Fails()
    {
        var validator = new CoalescingOptionsValidator(Options.Create(new PacingOptions { ShortRateLimitWait = TimeSpan.FromSeconds(1) }));

        var result = validator.Validate(null, new CoalescingOptions { BatchLinger = TimeSpan.FromSeconds(2) });

        Assert.True(result.Failed);
        Assert.Contains("Dispatch:BatchLinger", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Dispatch:ShortRateLimitWait", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Defaults_Succeed()
    {
        Assert.True(new CoalescingOptionsValidator(Options.Create(new PacingOptions())).Validate(null, new CoalescingOptions()).Succeeded);
    }
}
