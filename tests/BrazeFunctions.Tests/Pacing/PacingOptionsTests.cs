using System.ComponentModel.DataAnnotations;
using BrazeFunctions.Core.Pacing;

namespace BrazeFunctions.Tests.Pacing;

/// <summary>The pacing settings start-up accepts: the share of Braze's limit, the first requests in flight, the holds and the shared table's name.</summary>
public sealed class PacingOptionsTests
{
    [Fact]
    public void Defaults_AreValid()
    {
        var options = new PacingOptions();

        Assert.Equal((TimeSpan.FromSeconds(10), 1.0, 1, TimeSpan.FromHours(1), "relaypacing"),
            (options.ShortRateLimitWait, options.RateLimitShare, options.InitialRequests, options.MaxRateLimitHold, options.SharedPacingTable));
        Assert.Empty(Problems(options));
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.01, true)]
    [InlineData(1.0, true)]
    [InlineData(1.01, false)]
    public void RateLimitShare_FromOnePercentToAll_IsAccepted(double share, bool accepted)
    {
        Assert.Equal(accepted, Problems(new PacingOptions { RateLimitShare = share }).Count == 0);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(100, true)]
    [InlineData(101, false)]
    public void InitialRequests_From1To100_IsAccepted(int requests, bool accepted)
    {
        Assert.Equal(accepted, Problems(new PacingOptions { InitialRequests = requests }).Count == 0);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(7 * 24 * 3600, true)]
    [InlineData(7 * 24 * 3600 + 1, false)]
    public void MaxRateLimitHold_FromASecondToAWeek_IsAccepted(int seconds, bool accepted)
    {
        Assert.Equal(accepted, Problems(new PacingOptions { MaxRateLimitHold = TimeSpan.FromSeconds(seconds) }).Count == 0);
    }

    [Theory]
    [InlineData("ab", false)]
    [InlineData("abc", true)]
    [InlineData("9pacing", false)]
    [InlineData("relay-pacing", false)]
    public void SharedPacingTable_ALetterThen2To62LettersOrDigits_IsAccepted(string table, bool accepted)
    {
        Assert.Equal(accepted, Problems(new PacingOptions { SharedPacingTable = table }).Count == 0);
    }

    private static List<ValidationResult> Problems(PacingOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }
}
