using System.ComponentModel.DataAnnotations;
using BrazeFunctions.Core.Idempotency;

namespace BrazeFunctions.Tests.Idempotency;

/// <summary>The idempotency settings start-up accepts on their own (how they relate to the retry settings is the validator's).</summary>
public sealed class IdempotencyOptionsTests
{
    [Fact]
    public void Defaults_OnWithAWeeksWindowAndAQuarterHourLease_AreValid()
    {
        var options = new IdempotencyOptions();

        Assert.Equal((true, TimeSpan.FromDays(7), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(2), TimeSpan.FromHours(1)),
            (options.Enabled, options.Window, options.ClaimLease, options.PendingTimeout, options.BoundaryLookback));
        Assert.Empty(Problems(options));
    }

    [Theory]
    [InlineData("00:59:59", false)]
    [InlineData("01:00:00", true)]
    [InlineData("30.00:00:00", true)]
    [InlineData("30.00:00:01", false)]
    public void Window_FromAnHourTo30Days_IsAccepted(string window, bool accepted)
    {
        Assert.Equal(accepted, Problems(new IdempotencyOptions { Window = Parse(window) }).Count == 0);
    }

    [Theory]
    [InlineData("00:00:59", false)]
    [InlineData("00:01:00", true)]
    [InlineData("1.00:00:00", true)]
    [InlineData("1.00:00:01", false)]
    public void ClaimLease_FromAMinuteToADay_IsAccepted(string lease, bool accepted)
    {
        Assert.Equal(accepted, Problems(new IdempotencyOptions { ClaimLease = Parse(lease) }).Count == 0);
    }

    [Theory]
    [InlineData("00:00:09", false)]
    [InlineData("00:00:10", true)]
    [InlineData("01:00:00", true)]
    [InlineData("01:00:01", false)]
    public void PendingTimeout_From10SecondsToAnHour_IsAccepted(string timeout, bool accepted)
    {
        Assert.Equal(accepted, Problems(new IdempotencyOptions { PendingTimeout = Parse(timeout) }).Count == 0);
    }

    private static TimeSpan Parse(string text) => TimeSpan.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    private static List<ValidationResult> Problems(IdempotencyOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }
}
