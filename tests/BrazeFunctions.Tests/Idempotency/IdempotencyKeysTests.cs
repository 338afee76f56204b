using System.Text;
using BrazeFunctions.Core.Idempotency;

namespace BrazeFunctions.Tests.Idempotency;

/// <summary>
/// The key builder against Table Storage's rules: at most 1 KiB per key (Azurite does not enforce it, so the rule is
/// checked here), no '/', '\', '#', '?' or control characters, and webhook and delivery records never share a row.
/// </summary>
public sealed class IdempotencyKeysTests
{
    private const string LongestRoute = "a-route-name-of-the-longest-length-a-template-file-name-may-have";

    [Theory]
    [InlineData(400)]
    [InlineData(500)]
    [InlineData(1_000)]
    [InlineData(10_000)]
    public void For_KeyOfThisLength_GivesARowKeyWithinOneKibibyte(int length)
    {
        var key = new string('k', length);

        foreach (var route in new[] { "counter-increment", LongestRoute })
        {
            var (partition, row) = IdempotencyKeys.For(RecordKind.Delivery, route, key);

            Assert.True(row.Length * 2 <= 1024 && Encoding.UTF8.GetByteCount(row) <= 1024, $"{row.Length} characters for a {length}-character key behind route '{route}'");
            Assert.Matches("^[0-9a-f]{2}$", partition);
            Assert.StartsWith("d|" + route + "|", row, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void For_KeyThatFitsOnlyBehindAShortRoute_IsHashedBehindALongOne()
    {
        // 450 characters: within the limit behind a short route, over it behind a 64-character one (the 445-512 band).
        var key = new string('k', 450);

        var (_, shortRoute) = IdempotencyKeys.For(RecordKind.Delivery, "r", key);
        var (_, longRoute) = IdempotencyKeys.For(RecordKind.Delivery, LongestRoute, key);

        Assert.EndsWith(key, shortRoute, StringComparison.Ordinal);
        Assert.Contains("sha256-", longRoute, StringComparison.Ordinal);
        Assert.True(IdempotencyKeys.Fits(longRoute));
    }

    [Fact]
    public void For_TwoLongKeysThatDifferOnlyAtTheEnd_GetDifferentRows()
    {
        var first = IdempotencyKeys.For(RecordKind.Delivery, "r", new string('k', 999) + "a");
        var second = IdempotencyKeys.For(RecordKind.Delivery, "r", new string('k', 999) + "b");

        Assert.NotEqual(first.RowKey, second.RowKey);
    }

    [Fact]
    public void For_MultiByteKey_IsMeasuredInUtf8Too()
    {
        // 400 three-byte characters: 800 bytes in UTF-16 but 1,200 in UTF-8.
        var (_, row) = IdempotencyKeys.For(RecordKind.Delivery, "r", new string('€', 400));

        Assert.Contains("sha256-", row, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dispatch-123:user-9", false)]
    [InlineData("a/b", true)]
    [InlineData("a#b?c", true)]
    [InlineData("tab\there", true)]
    [InlineData("del\u007fete", true)]
    public void For_UnsafeCharacters_AreHashedAndThePartitionIsAHashPrefix(string key, bool hashed)
    {
        var (partition, row) = IdempotencyKeys.For(RecordKind.Delivery, "counter-increment", key);

        Assert.Matches("^[0-9a-f]{2}$", partition);
        Assert.StartsWith("d|counter-increment|", row, StringComparison.Ordinal);
        Assert.Equal(hashed, row.Contains("sha256-", StringComparison.Ordinal));
        Assert.DoesNotContain('/', row);
        Assert.DoesNotContain('#', row);
    }

    [Fact]
    public void For_WebhookAndDeliveryRecords_NeverShareARow()
    {
        Assert.NotEqual(IdempotencyKeys.For(RecordKind.Webhook, "r", "k").RowKey, IdempotencyKeys.For(RecordKind.Delivery, "r", "k").RowKey);
        Assert.NotEqual(IdempotencyKeys.For(RecordKind.Webhook, "r", new string('k', 600)).RowKey, IdempotencyKeys.For(RecordKind.Delivery, "r", new string('k', 600)).RowKey);
    }
}
