using System.Collections.Concurrent;

namespace BrazeFunctions.Sandbox;

/// <summary>
/// Chooses a scripted answer for a request, if any: first the general script (in order), then the answer scripted for
/// the n-th request of its bucket, then the rule. Null means "answer as Braze would".
/// </summary>
internal sealed class ScriptedAnswers
{
    private readonly ConcurrentQueue<SandboxAnswer> _script = new();
    private readonly ConcurrentDictionary<(BrazeBucket Bucket, int Nth), SandboxAnswer> _byBucket = new();
    private readonly int[] _arrivals = new int[Enum.GetValues<BrazeBucket>().Length];

    public ScriptedAnswers(IEnumerable<(BrazeBucket Bucket, int Nth, SandboxAnswer Answer)> byBucket)
    {
        foreach (var (bucket, nth, answer) in byBucket)
        {
            EnqueueFor(bucket, nth, answer);
        }
    }

    public Func<int, string, SandboxAnswer?>? Rule { get; set; }

    public void Enqueue(IEnumerable<SandboxAnswer> answers)
    {
        foreach (var answer in answers)
        {
            _script.Enqueue(answer);
        }
    }

    public void EnqueueFor(BrazeBucket bucket, int nth, SandboxAnswer answer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nth, 1);
        _byBucket[(bucket, nth)] = answer;
    }

    public SandboxAnswer? Next(SandboxExchange exchange)
    {
        var nth = Interlocked.Increment(ref _arrivals[(int)exchange.Bucket]);
        if (_script.TryDequeue(out var next))
        {
            return next;
        }

        return _byBucket.TryRemove((exchange.Bucket, nth), out var scripted) ? scripted : Rule?.Invoke(exchange.Sequence, exchange.Body);
    }
}
