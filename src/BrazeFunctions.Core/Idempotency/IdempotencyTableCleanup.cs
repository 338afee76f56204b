namespace BrazeFunctions.Core.Idempotency;

/// <summary>
/// Drops the daily idempotency tables that are older than <see cref="IdempotencyOptions.Window"/>: Table Storage has no
/// time-to-live, so records expire a whole table at a time. Run once a day by a timer function.
/// </summary>
public sealed class IdempotencyTableCleanup
{
    private readonly IdempotencyStore _store;

    internal IdempotencyTableCleanup(IdempotencyStore store)
    {
        _store = store;
    }

    /// <summary>Returns the names of the tables it dropped.</summary>
    public Task<IReadOnlyList<string>> RunAsync(CancellationToken cancellationToken) => _store.DropExpiredTablesAsync(cancellationToken);
}
