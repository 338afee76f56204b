namespace BrazeFunctions.Core.Diagnostics;

/// <summary>
/// One part of the relay that <c>GET /api/health/details</c> reports on (the outbox queue, the shared rate-limit state,
/// the idempotency store...). Implementations never create resources and never report secrets.
/// </summary>
public interface IRelayHealthCheck
{
    /// <summary>Short, stable name used as the key in the details answer, e.g. <c>outbox</c>.</summary>
    string Name { get; }

    Task<RelayHealthResult> CheckAsync(CancellationToken cancellationToken);
}

/// <summary>What one check found: healthy or not, a one-line problem when not, and a few figures to show.</summary>
public sealed record RelayHealthResult(bool Healthy, string? Problem, IReadOnlyDictionary<string, object?> Data);
