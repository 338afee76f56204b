namespace BrazeFunctions.Core.Idempotency;

/// <summary>
/// Drops the daily idempotency tables that are older than <see cref="IdempotencyOptions.Window"/>: Table Storage has no
/// time-to-live, so records expire a whole table at a time. Run once a day by a timer function.
/// </summary>
public interface IIdempotencyTableCleanup
{
    /// <summary>Drops the daily tables older than the dedupe window; returns the names of the tables it dropped.</summary>
    Task<IReadOnlyList<string>> RunAsync(CancellationToken cancellationToken);
}

/// <inheritdoc cref="IIdempotencyTableCleanup"/>
internal sealed class IdempotencyTableCleanup(IdempotencyStore store) : IIdempotencyTableCleanup
{
    public Task<IReadOnlyList<string>> RunAsync(CancellationToken cancellationToken) => store.DropExpiredTablesAsync(cancellationToken);
}
