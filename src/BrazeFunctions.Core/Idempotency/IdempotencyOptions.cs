using System.ComponentModel.DataAnnotations;

namespace BrazeFunctions.Core.Idempotency;

/// <summary>How the relay keeps a delivery from reaching Braze twice (section <c>Idempotency</c>).</summary>
internal sealed class IdempotencyOptions
{
    public const string Section = "Idempotency";

    /// <summary>Off, nothing is de-duplicated (not recommended; for diagnosis).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How long a delivery's record is kept: at least <c>Dispatch:MaxMessageAge</c> plus the retry schedule, so that every
    /// copy of a message still finds it, and long enough for the dead letters operators replay: a replay needs
    /// <c>--force</c> once the records of the message would be dropped before its replayed copy could claim (within
    /// <c>Dispatch:MaxMessageAge</c> of the replay). Records live in one table per UTC day (<c>dedupe&lt;yyyyMMdd&gt;</c>),
    /// dropped whole once older than the window. Seven days cover a dead letter replayed up to about five days after it
    /// was received (a weekend and then some) with the default two-day message age.
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "30.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// A claim younger than this, written by another copy (another envelope of the delivery, or another copy of the same
    /// envelope), means that copy is sending right now (defer); an older one was left by a run that died (the outcome is
    /// unknown). It must be longer than the longest a live sender goes without writing its claim (checked at start-up);
    /// a message whose instance died comes back after the host's 10-minute lease and waits out the rest of it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>A repeat webhook finding a 'pending' ingress record younger than this gets 503; an older one is taken over.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00")]
    public TimeSpan PendingTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Records go to the table of the message's receipt day. A message received less than this after midnight UTC also
    /// checks the previous day's table: two copies of one delivery (a Braze retry) may straddle the boundary.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan BoundaryLookback { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Prefix of the daily tables.</summary>
    [RegularExpression("^[a-z][a-z0-9]{0,40}$")]
    public string TablePrefix { get; set; } = "dedupe";
}
