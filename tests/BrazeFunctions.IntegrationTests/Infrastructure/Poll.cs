namespace BrazeFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// Waits for something a test cannot await directly, on the real clock. Tests fail with what they waited for instead of
/// hanging; measured runs, which report a shortfall instead of failing on it, ask whether the wait succeeded.
/// </summary>
internal static class Poll
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(50);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, TimeSpan? interval = null)
    {
        if (!await TryUntilAsync(condition, timeout ?? DefaultTimeout, interval))
        {
            throw new TimeoutException("Waited in vain for " + what + ".");
        }
    }

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null, TimeSpan? interval = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout, interval);

    /// <summary>Reads until the value read is <paramref name="done"/>, and returns that value.</summary>
    public static async Task<T> ForAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? timeout = null, TimeSpan? interval = null)
    {
        var value = default(T)!;
        await UntilAsync(async () => done(value = await read()), what, timeout, interval);
        return value;
    }

    /// <summary>Whether <paramref name="condition"/> came true before <paramref name="timeout"/> passed.</summary>
    public static async Task<bool> TryUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? interval = null)
    {
        var deadline = TimeProvider.System.GetUtcNow() + timeout;
        while (!await condition())
        {
            if (TimeProvider.System.GetUtcNow() > deadline)
            {
                return false;
            }

            await Task.Delay(interval ?? DefaultInterval);
        }

        return true;
    }

    public static Task<bool> TryUntilAsync(Func<bool> condition, TimeSpan timeout, TimeSpan? interval = null) =>
        TryUntilAsync(() => Task.FromResult(condition()), timeout, interval);
}
