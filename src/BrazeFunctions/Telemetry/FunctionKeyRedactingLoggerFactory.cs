using System.Collections;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Telemetry;

/// <summary>
/// Wraps the app's <see cref="ILoggerFactory"/> so that no logger, whichever provider it writes to (console, the Functions
/// host over gRPC, OpenTelemetry), receives a <c>code</c> query parameter: ASP.NET Core's request logs ("Request starting
/// ... /api/hooks/x?code=...") carry the full URL, and Braze users paste the function key there.
/// </summary>
internal sealed class FunctionKeyRedactingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();

    private sealed class RedactingLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull =>
            Holds(state) ? inner.BeginScope(RedactedState.Of(state, null)) : inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            // A structured state carries every value of its message, so checking the values spares formatting every line twice.
            var message = state is IReadOnlyList<KeyValuePair<string, object?>> ? null : formatter(state, exception);
            var exceptionHoldsKey = exception is not null && FunctionKeyRedaction.ContainsKey(exception.ToString());
            if (!exceptionHoldsKey && !Holds(state) && !FunctionKeyRedaction.ContainsKey(message))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            var redacted = RedactedState.Of(state, FunctionKeyRedaction.Redact(message ?? formatter(state, exception)));
            var safeException = exceptionHoldsKey ? new RedactedException(FunctionKeyRedaction.Redact(exception!.ToString())) : exception;
            inner.Log(logLevel, eventId, redacted, safeException, static (s, _) => s.ToString());
        }

        private static bool Holds<TState>(TState state) => state switch
        {
            string text => FunctionKeyRedaction.ContainsKey(text),
            IReadOnlyList<KeyValuePair<string, object?>> values => values.Any(v => FunctionKeyRedaction.ContainsKey(AsText(v.Value))),
            _ => FunctionKeyRedaction.ContainsKey(state?.ToString()),
        };
    }

    /// <summary>Value types the framework logs as numbers, flags or times never hold a URL; everything else is read as text.</summary>
    private static string? AsText(object? value) => value switch
    {
        null or bool or char or byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal
            or Enum or DateTime or DateTimeOffset or TimeSpan or Guid => null,
        string text => text,
        _ => value.ToString(),
    };

    /// <summary>A log state whose values and message have the key removed; keeps the names, so structured logs keep their fields.</summary>
    private sealed class RedactedState : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly KeyValuePair<string, object?>[] _values;
        private readonly string _message;

        private RedactedState(KeyValuePair<string, object?>[] values, string message)
        {
            _values = values;
            _message = message;
        }

        public int Count => _values.Length;

        public KeyValuePair<string, object?> this[int index] => _values[index];

        public static RedactedState Of<TState>(TState state, string? message)
        {
            var values = state is IReadOnlyList<KeyValuePair<string, object?>> list
                ? list.Select(v => AsText(v.Value) is { } text && FunctionKeyRedaction.ContainsKey(text)
                    ? new KeyValuePair<string, object?>(v.Key, FunctionKeyRedaction.Redact(text))
                    : v).ToArray()
                : [];
            return new RedactedState(values, message ?? FunctionKeyRedaction.Redact(state?.ToString() ?? string.Empty));
        }

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_values).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => _message;
    }
}

/// <summary>Stands in for an exception whose text held a function key: its type, message and stack trace, redacted.</summary>
internal sealed class RedactedException : Exception
{
    public RedactedException()
    {
    }

    public RedactedException(string message)
        : base(message)
    {
    }

    public RedactedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
