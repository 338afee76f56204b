using System.ComponentModel.DataAnnotations;
using BrazeFunctions.Core.Delivery;

namespace BrazeFunctions.Tests.Delivery;

/// <summary>The coalescing settings start-up accepts: a linger of at most 5 s, a request of 1 KiB to about 4 MB, at most 64 split requests.</summary>
public sealed class CoalescingOptionsTests
{
    [Fact]
    public void Defaults_Linger100MsThreeMebibytesEightSplits_AreValid()
    {
        var options = new CoalescingOptions();

        Assert.Equal((TimeSpan.FromMilliseconds(100), 3 * 1024 * 1024, 8), (options.BatchLinger, options.MaxRequestBytes, options.MaxSplitRequests));
        Assert.Empty(Problems(options));
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(5_000, true)]
    [InlineData(5_001, false)]
    public void BatchLinger_UpToFiveSeconds_IsAccepted(int milliseconds, bool accepted)
    {
        Assert.Equal(accepted, Problems(new CoalescingOptions { BatchLinger = TimeSpan.FromMilliseconds(milliseconds) }).Count == 0);
    }

    [Theory]
    [InlineData(1_023, false)]
    [InlineData(1_024, true)]
    [InlineData(4_000_000, true)]
    [InlineData(4_000_001, false)]
    public void MaxRequestBytes_From1KiBToFourMillion_IsAccepted(int bytes, bool accepted)
    {
        Assert.Equal(accepted, Problems(new CoalescingOptions { MaxRequestBytes = bytes }).Count == 0);
    }

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(64, true)]
    [InlineData(65, false)]
    public void MaxSplitRequests_From0To64_IsAccepted(int splits, bool accepted)
    {
        Assert.Equal(accepted, Problems(new CoalescingOptions { MaxSplitRequests = splits }).Count == 0);
    }

    private static List<ValidationResult> Problems(CoalescingOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }
}
