using System.ComponentModel.DataAnnotations;
using System.Text;
using BrazeFunctions.Core.Storage;

namespace BrazeFunctions.Tests.Storage;

public sealed class StorageQueueTests
{
    [Fact]
    public void Decode_Base64Body_IsDecoded()
    {
        var message = StorageQueue.Decode("id-1", "pop", BinaryData.FromString(Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"v\":1}"))), null, null, 1);

        Assert.True(message.WasBase64);
        Assert.Equal("{\"v\":1}", Encoding.UTF8.GetString(message.Body.Span));
    }

    [Fact]
    public void Decode_PlainTextBody_IsKeptAsItIs()
    {
        var message = StorageQueue.Decode("id-1", "pop", BinaryData.FromString("{\"not\": \"base64\"}"), null, null, 1);

        Assert.False(message.WasBase64);
        Assert.Equal("{\"not\": \"base64\"}", Encoding.UTF8.GetString(message.Body.Span));
    }

    [Theory]
    [InlineData(9999, true)]
    [InlineData(2026, false)]
    public void NeverExpires_ReadsStoragesEndOfTime(int year, bool expected)
    {
        var message = new StoredMessage("id", null, Array.Empty<byte>(), true, null, new DateTimeOffset(year, 12, 31, 23, 59, 59, TimeSpan.Zero), 1);

        Assert.Equal(expected, message.NeverExpires);
    }

    [Fact]
    public void OutboxOptions_Default_NeverExpires()
    {
        Assert.Equal(TimeSpan.FromSeconds(-1), new OutboxOptions().MessageTimeToLive);
        Assert.Equal(OutboxOptions.NeverExpires, new OutboxOptions().MessageTimeToLive);
    }

    [Theory]
    [InlineData("00:00:00", false)]
    [InlineData("-00:00:02", false)]
    [InlineData("-00:00:01", true)]
    [InlineData("7.00:00:00", true)]
    [InlineData("30.00:00:00", true)]
    public void OutboxOptions_MessageTimeToLive_IsNeverOrPositive(string value, bool valid)
    {
        var options = new OutboxOptions { MessageTimeToLive = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) };
        var results = new List<ValidationResult>();

        var ok = Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);

        Assert.Equal(valid, ok);
        if (!valid)
        {
            Assert.Contains("Outbox:MessageTimeToLive", Assert.Single(results).ErrorMessage, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(1900, 2000)]
    [InlineData(1001, 2000)]
    [InlineData(2000, 2000)]
    [InlineData(1, 1000)]
    [InlineData(0, 0)]
    public void WholeSeconds_FractionOfASecond_RoundsUpSoTheMessageNeverComesBackEarly(int milliseconds, int expected)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expected), QueueMessageLimits.WholeSeconds(TimeSpan.FromMilliseconds(milliseconds)));
    }

    [Fact]
    public void WholeSeconds_NoDelay_StaysNone()
    {
        Assert.Null(QueueMessageLimits.WholeSeconds(null));
    }
}
