using Azure;

namespace BrazeFunctions.Core.Storage;

/// <summary>The exceptions that mean "storage did not answer as hoped", and a one-line description without secrets.</summary>
public static class StorageFailure
{
    /// <summary>True for storage errors, network failures, timeouts, credential failures and a missing connection; false for bugs.</summary>
    public static bool Is(Exception exception) =>
        exception is RequestFailedException or AggregateException or IOException or TimeoutException or HttpRequestException
            or OperationCanceledException or Azure.Identity.AuthenticationFailedException or StorageNotConfiguredException;

    /// <summary>
    /// <see cref="Is(Exception)"/>, except a cancellation the caller asked for: that one must propagate, while a cancellation
    /// nobody asked for is the client's own timeout.
    /// </summary>
    public static bool Is(Exception exception, CancellationToken callerToken) =>
        Is(exception) && !(exception is OperationCanceledException && callerToken.IsCancellationRequested);

    /// <summary>E.g. <c>answered 403 AuthorizationFailure</c> or <c>not reachable (HttpRequestException)</c>.</summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            // Status 0: the SDK's wrapper around a request that never got an answer (connection refused, DNS, TLS).
            RequestFailedException { Status: 0 } failed => $"not reachable ({failed.InnerException?.GetType().Name ?? "no answer"})",
            RequestFailedException failed => $"answered {failed.Status} {failed.ErrorCode}",
            OperationCanceledException => "not reachable (timed out)",
            _ => $"not reachable ({exception.GetType().Name})",
        };
    }

    public static int Status(Exception exception) => (exception as RequestFailedException)?.Status ?? 0;

    public static string? ErrorCode(Exception exception) => (exception as RequestFailedException)?.ErrorCode;
}
