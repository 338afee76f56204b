using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace BrazeFunctions.Sandbox;

/// <summary>
/// Kestrel adds a <c>Date</c> header to every HTTP/1.1 answer and has no switch to leave it out. To send an answer without
/// one (a dialect Braze's clients must survive), the answer carries <see cref="Marker"/>; this connection filter removes
/// the marker line and the <c>Date</c> line from that answer's header block on its way out.
/// </summary>
internal static class DateHeaderRemover
{
    public const string Marker = "X-Sandbox-Omit-Date";

    private static readonly byte[] StatusLineStart = "HTTP/1."u8.ToArray();
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();
    private static readonly byte[] MarkerLine = Encoding.ASCII.GetBytes("\r\n" + Marker + ": 1");

    public static Func<ConnectionDelegate, ConnectionDelegate> Middleware => next => connection =>
    {
        var transport = connection.Transport;
        connection.Transport = new FilteredPipe(transport.Input, new HeadFilteringWriter(transport.Output));
        return next(connection);
    };

    /// <summary>The bytes to send instead of <paramref name="written"/>, when they start an answer head that carries the marker.</summary>
    internal static byte[]? Filter(ReadOnlySpan<byte> written)
    {
        var end = written.IndexOf(HeadEnd);
        if (!written.StartsWith(StatusLineStart) || end < 0 || written[..end].IndexOf(MarkerLine) < 0)
        {
            return null;
        }

        var head = Encoding.ASCII.GetString(written[..end]).Split("\r\n");
        var kept = head.Where((line, index) => index == 0
            || !(line.StartsWith("Date:", StringComparison.OrdinalIgnoreCase) || line.StartsWith(Marker + ":", StringComparison.OrdinalIgnoreCase)));
        var rebuilt = Encoding.ASCII.GetBytes(string.Join("\r\n", kept));
        return [.. rebuilt, .. written[end..]];
    }

    private sealed class FilteredPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>Collects what Kestrel writes until it flushes, then passes it on, filtered.</summary>
    private sealed class HeadFilteringWriter(PipeWriter inner) : PipeWriter
    {
        private readonly ArrayBufferWriter<byte> _pending = new();

        public override void Advance(int bytes) => _pending.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => _pending.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => _pending.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null)
        {
            Pass();
            inner.Complete(exception);
        }

        public override async ValueTask CompleteAsync(Exception? exception = null)
        {
            Pass();
            await inner.CompleteAsync(exception);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Pass();
            return inner.FlushAsync(cancellationToken);
        }

        private void Pass()
        {
            if (_pending.WrittenCount > 0)
            {
                var written = _pending.WrittenSpan;
                inner.Write(Filter(written) ?? written);
                _pending.ResetWrittenCount();
            }
        }
    }
}
