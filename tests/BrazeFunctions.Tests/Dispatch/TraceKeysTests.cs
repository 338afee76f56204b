using BrazeFunctions.Core.Dispatch;

namespace BrazeFunctions.Tests.Dispatch;

public sealed class TraceKeysTests
{
    private static readonly DateTimeOffset Received = new(2026, 12, 5, 14, 37, 12, 345, TimeSpan.Zero);

    [Fact]
    public void Normalize_IngressId_IsKeptAndItsTimeIsTheReceipt()
    {
        var id = Guid.CreateVersion7(Received).ToString("N");

        Assert.Equal(id, TraceKeys.Normalize(id));
        Assert.Equal(Received, TraceKeys.TimeOf(id));
    }

    [Fact]
    public void Normalize_DashedUppercaseForm_BecomesTheIngressForm()
    {
        var guid = Guid.CreateVersion7(Received);

        Assert.Equal(guid.ToString("N"), TraceKeys.Normalize(guid.ToString("D").ToUpperInvariant()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-an-id")]
    [InlineData("0af7651916cd43dd8448eb211c80319c")] // a random (v4-shaped) id: no time in it
    [InlineData("0193a1b2c3d47e5f8a9b0c1d2e3f4a5")] // 31 digits
    [InlineData("0193a1b2c3d47e5f8a9b0c1d2e3f4a5z")]
    public void Normalize_NotAUuidV7_IsNull(string? id)
    {
        Assert.Null(TraceKeys.Normalize(id));
    }

    [Fact]
    public void TableAndPartition_ComeFromTheIdAlone_DayTableMinutePartition()
    {
        var id = Guid.CreateVersion7(Received).ToString("N");

        Assert.Equal("trace20261205", TraceKeys.Table("trace", id));
        Assert.Equal("1437", TraceKeys.Partition(id));
    }

    [Fact]
    public void Partition_MessagesReceivedInTheSameMinute_Share()
    {
        var first = Guid.CreateVersion7(Received).ToString("N");
        var second = Guid.CreateVersion7(Received.AddSeconds(40)).ToString("N");
        var nextMinute = Guid.CreateVersion7(Received.AddSeconds(50)).ToString("N");

        Assert.Equal(TraceKeys.Partition(first), TraceKeys.Partition(second));
        Assert.NotEqual(TraceKeys.Partition(first), TraceKeys.Partition(nextMinute));
    }

    [Fact]
    public void RowKey_OneMessagesRecords_SortByTimeInsideItsRangeAndNoOtherIdFallsInIt()
    {
        var id = Guid.CreateVersion7(Received).ToString("N");
        var other = Guid.CreateVersion7(Received).ToString("N");
        var (from, to) = TraceKeys.RowRange(id);
        var early = TraceKeys.RowKey(id, Received.AddSeconds(1), TraceEvent.Deferred);
        var late = TraceKeys.RowKey(id, Received.AddHours(3), TraceEvent.Delivered);

        Assert.True(string.CompareOrdinal(early, late) < 0);
        Assert.All([early, late], k => Assert.True(string.CompareOrdinal(k, from) >= 0 && string.CompareOrdinal(k, to) < 0));
        var foreign = TraceKeys.RowKey(other, Received, TraceEvent.Delivered);
        Assert.False(string.CompareOrdinal(foreign, from) >= 0 && string.CompareOrdinal(foreign, to) < 0);
    }
}
