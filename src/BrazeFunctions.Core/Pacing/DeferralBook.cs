namespace BrazeFunctions.Core.Pacing;

/// <summary>
/// The slots promised to requests of one bucket that left instead of waiting. A request that leaves is told to come
/// back at its forecast, but never before the slots already promised to those that left before it: a burst of leavers
/// comes back spread over the time the budget sends them, not all at one instant (which would send most of them away
/// again). Each books the part of a slot it will take (a batch of 10 objects takes a tenth of a 75-object request).
/// The book counts slots, not time: the promised slots are laid out at the slot length known when the next leaver
/// books, so a length guessed too long before the window was learned (a second per slot) delays only the leavers that
/// booked with it, not every leaver after them. Not thread-safe: the window model's owner locks it.
/// </summary>
internal sealed class DeferralBook
{
    private DateTimeOffset _from;
    private double _slots;

    /// <summary>When a request forecast to go at <paramref name="forecastAt"/> comes back; books <paramref name="weight"/> of a <paramref name="slot"/> after it.</summary>
    public DateTimeOffset Book(DateTimeOffset forecastAt, TimeSpan slot, double weight)
    {
        var share = Math.Clamp(weight, 0, 1);
        var bookedUntil = _from + (slot * _slots);
        if (forecastAt >= bookedUntil)
        {
            // Everything promised goes before this forecast: a new run of promised slots begins at it.
            (_from, _slots) = (forecastAt, share);
            return forecastAt;
        }

        _slots += share;
        return bookedUntil;
    }
}
