using System.ComponentModel.DataAnnotations;
using BrazeFunctions.Core.Dispatch;

namespace BrazeFunctions.Tests.Dispatch;

/// <summary>The trace settings start-up accepts: a table-name prefix, a retention of a day to a year, a flush of 10 ms to a minute.</summary>
public sealed class TraceOptionsTests
{
    [Fact]
    public void Defaults_AreOnWithTwoWeeksOfRecordsFlushedEverySecond_AndValid()
    {
        var options = new TraceOptions();

        Assert.Equal((true, "trace", TimeSpan.FromDays(14), TimeSpan.FromSeconds(1)), (options.Enabled, options.TablePrefix, options.Retention, options.FlushInterval));
        Assert.Empty(Problems(options));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1trace")]
    [InlineData("trace-records")]
    [InlineData("t2345678901234567890123456789012345678901234567890123456")]
    public void TablePrefix_NotALetterThenUpTo54LettersOrDigits_IsRefused(string prefix)
    {
        var problems = Problems(new TraceOptions { TablePrefix = prefix });

        Assert.Contains(problems, p => p.MemberNames.Contains(nameof(TraceOptions.TablePrefix)));
    }

    [Fact]
    public void TablePrefix_ALetterThen54LettersOrDigits_IsAccepted()
    {
        Assert.Empty(Problems(new TraceOptions { TablePrefix = "t" + new string('9', 54) }));
    }

    [Theory]
    [InlineData("23:59:59", false)]
    [InlineData("1.00:00:00", true)]
    [InlineData("366.00:00:00", true)]
    [InlineData("367.00:00:00", false)]
    public void Retention_FromADayToAYear_IsAccepted(string retention, bool accepted)
    {
        Assert.Equal(accepted, Problems(new TraceOptions { Retention = TimeSpan.Parse(retention, System.Globalization.CultureInfo.InvariantCulture) }).Count == 0);
    }

    [Theory]
    [InlineData(9, false)]
    [InlineData(10, true)]
    [InlineData(60_000, true)]
    [InlineData(60_001, false)]
    public void FlushInterval_From10MillisecondsToAMinute_IsAccepted(int milliseconds, bool accepted)
    {
        Assert.Equal(accepted, Problems(new TraceOptions { FlushInterval = TimeSpan.FromMilliseconds(milliseconds) }).Count == 0);
    }

    private static List<ValidationResult> Problems(TraceOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }
}
