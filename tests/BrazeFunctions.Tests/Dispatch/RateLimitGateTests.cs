using BrazeFunctions.Core.Dispatch;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.Tests.Dispatch;

public sealed class RateLimitGateTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Remaining_NeverClosed_IsZero()
    {
        Assert.Equal(TimeSpan.Zero, new RateLimitGate(_time).Remaining("users-track"));
    }

    [Fact]
    public void Close_ThenTimePasses_OpensAtTheReset()
    {
        var gate = new RateLimitGate(_time);
        gate.Close("users-track", _time.GetUtcNow().AddSeconds(3));

        Assert.Equal(TimeSpan.FromSeconds(3), gate.Remaining("users-track"));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.FromSeconds(1), gate.Remaining("users-track"));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.Zero, gate.Remaining("users-track"));
    }

    [Fact]
    public void Close_IsPerFamily()
    {
        var gate = new RateLimitGate(_time);
        gate.Close("users-track", _time.GetUtcNow().AddSeconds(3));

        Assert.Equal(TimeSpan.Zero, gate.Remaining("rest-shared"));
    }

    [Fact]
    public void Close_EarlierResetAfterALaterOne_KeepsTheLater()
    {
        var gate = new RateLimitGate(_time);
        gate.Close("rest-shared", _time.GetUtcNow().AddMinutes(30));
        gate.Close("rest-shared", _time.GetUtcNow().AddSeconds(5));

        Assert.Equal(TimeSpan.FromMinutes(30), gate.Remaining("rest-shared"));
    }
}
