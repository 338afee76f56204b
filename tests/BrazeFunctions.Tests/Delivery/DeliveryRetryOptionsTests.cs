using BrazeFunctions.Core.Delivery;
using Microsoft.Extensions.Configuration;

namespace BrazeFunctions.Tests.Delivery;

/// <summary>The retry schedule: its default and how its text is read.</summary>
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
}
