namespace BrazeFunctions.Core.Pacing;

/// <summary>
/// How a window's budget is released over it: evenly over the part of the window before its guard band, from a phase
/// drawn per window. Spreading keeps a burst from spending the window in its first instants: requests leave at a steady
/// pace, each carrying what gathered since the last one, and the customer's other integrations keep a share of every
/// part of the window. The random phase makes requests (and Braze's whole-second Date headers) fall at every fraction of
/// a second, which tightens <see cref="BrazeClock"/>'s bounds and narrows the guard band.
/// </summary>
internal static class SpreadSchedule
{
    /// <summary>
    /// How many of the window's <paramref name="usable"/> requests may have gone by <paramref name="now"/> (all of them
    /// while the length is unknown), and when the next one is released after <paramref name="sent"/> went.
    /// </summary>
    public static (long Allowed, DateTimeOffset NextSlot) At(long usable, long? lengthSeconds, DateTimeOffset windowEnds, DateTimeOffset windowCloses, DateTimeOffset now, double phase, long sent)
    {
        if (lengthSeconds is not { } seconds || usable <= 0)
        {
            return (usable, now);
        }

        var length = TimeSpan.FromSeconds(seconds);
        var opened = windowEnds - length;
        var span = windowCloses - opened;
        if (span < length / 4)
        {
            span = length / 4;
        }

        var fraction = Math.Clamp((now - opened) / span, 0, 1);
        // Slots at phase/usable, (1 + phase)/usable... of that span; the epsilon keeps a slot's own instant inside it.
        var allowed = Math.Clamp((long)Math.Floor((usable * fraction) - phase + 1e-9) + 1, 0, usable);
        return (allowed, opened + (span * ((Math.Max(sent, allowed) + phase) / usable)));
    }
}
