using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Tests.Delivery;

public sealed class DeliveryRetryOptionsTests
{
    [Fact]
    public void RetryDelays_Default_IsTheDocumentedSchedule()
    {
        Assert.Equal(
            [TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(6)],
            new DeliveryRetryOptions().RetryDelays);
    }

    [Theory]
    [InlineData("30s, 1.5m ,2h,1d", new[] { 30.0, 90.0, 7200.0, 86400.0 })]
    [InlineData("00:00:15,00:10:00", new[] { 15.0, 600.0 })]
    [InlineData("", new double[0])]
    public void ParseSchedule_UnitsAndTimeSpans_AreRead(string text, double[] expectedSeconds)
    {
        Assert.True(DeliveryRetryOptions.ParseSchedule(text, out var delays, out _));
        Assert.Equal(expectedSeconds.Select(TimeSpan.FromSeconds), delays);
    }

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
