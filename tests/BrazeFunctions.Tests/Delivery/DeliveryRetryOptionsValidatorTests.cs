using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Tests.Delivery;

/// <summary>What start-up refuses in the retry settings: a bad schedule, a queue time-to-live shorter than it, a dequeue limit the host overrides.</summary>
public sealed class DeliveryRetryOptionsValidatorTests
{
    [Theory]
    [InlineData("10s,soon", "'soon'")]
    [InlineData("10s,0s", "'0s'")]
    [InlineData("8d", "7-day")]
    public void Validate_BadSchedule_FailsNamingTheItem(string schedule, string expected)
    {
        var validator = new DeliveryRetryOptionsValidator(Options.Create(new OutboxOptions()));

        var result = validator.Validate(null, new DeliveryRetryOptions { RetrySchedule = schedule });

        Assert.True(result.Failed);
        Assert.Contains("Dispatch:RetrySchedule", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MessageTtlShorterThanTheSchedule_Fails()
    {
        var validator = new DeliveryRetryOptionsValidator(Options.Create(new OutboxOptions { MessageTimeToLive = TimeSpan.FromHours(6) }));

        var result = validator.Validate(null, new DeliveryRetryOptions());

        Assert.True(result.Failed);
        Assert.Contains("Outbox:MessageTimeToLive", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DefaultsWithSevenDayTtl_Succeed()
    {
        Assert.True(new DeliveryRetryOptionsValidator(Options.Create(new OutboxOptions())).Validate(null, new DeliveryRetryOptions()).Succeeded);
    }

    [Fact]
    public void Validate_MaxDequeueCountNotBelowTheHostsOverride_FailsNamingBoth()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["AzureFunctionsJobHost:extensions:queues:maxDequeueCount"] = "5" }).Build();
        var validator = new DeliveryRetryOptionsValidator(Options.Create(new OutboxOptions()), configuration);

        var result = validator.Validate(null, new DeliveryRetryOptions { MaxDequeueCount = 5 });

        Assert.True(result.Failed);
        Assert.Contains("Dispatch:MaxDequeueCount", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("AzureFunctionsJobHost__extensions__queues__maxDequeueCount", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(validator.Validate(null, new DeliveryRetryOptions { MaxDequeueCount = 4 }).Succeeded);
    }
}
