namespace BrazeFunctions.Core.Pacing;

/// <summary>
/// The slots promised to requests of one bucket that left instead of waiting. A request that leaves is told to come
/// back at its forecast, but never before the slots already promised to those that left before it: a burst of leavers
/// comes back spread over the time the budget sends them, not all at one instant (which would send most of them away
/// again). Each books the part of a slot it will take (a batch of 10 objects takes a tenth of a 75-object request).
/// Not thread-safe: the window model's owner locks it.
/// </summary>
internal sealed class DeferralBook
{
    private DateTimeOffset _bookedUntil;

    /// <summary>When a request forecast to go at <paramref name="forecastAt"/> comes back; books <paramref name="weight"/> of a <paramref name="slot"/> after it.</summary>
    public DateTimeOffset Book(DateTimeOffset forecastAt, TimeSpan slot, double weight)
    {
        var at = _bookedUntil > forecastAt ? _bookedUntil : forecastAt;
        _bookedUntil = at + (slot * Math.Clamp(weight, 0, 1));
        return at;
    }
}
