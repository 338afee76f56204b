using Azure;

namespace BrazeFunctions.Core.Storage;

/// <summary>The exceptions that mean "storage did not answer as hoped", and a one-line description without secrets.</summary>
public static class StorageFailure
{
    /// <summary>True for storage errors, network failures, timeouts and credential failures; false for bugs.</summary>
    public static bool Is(Exception exception) =>
        exception is RequestFailedException or AggregateException or IOException or TimeoutException or HttpRequestException
            or OperationCanceledException or Azure.Identity.AuthenticationFailedException;

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
