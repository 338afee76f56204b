namespace BrazeFunctions.Sandbox;

/// <summary>
/// Answers one request: as Braze would (auth, path, rate limit, body checks, then apply on 2xx), or as a scripted answer
/// says. Every answer counts against the request's bucket and carries that bucket's headers only.
/// </summary>
internal sealed class AnswerRunner(BrazeSandbox sandbox)
{
    private const string RateLimitedBody = "{\"message\":\"Rate limit exceeded\"}";

    public Task<Outcome> RunAsync(SandboxExchange exchange, SandboxAnswer? answer) => answer switch
    {
        null => AnswerNormallyAsync(exchange, overrides: null),
        SandboxAnswer.WithHeaders hostile => AnswerNormallyAsync(exchange, hostile.Headers),
        SandboxAnswer.Status status => AnswerStatusAsync(exchange, status),
        SandboxAnswer.Delay delay => DelayThenAnswerAsync(exchange, delay.Wait),
        SandboxAnswer.Drop => Task.FromResult(Drop(exchange, applied: false)),
        SandboxAnswer.ApplyThenDrop => Task.FromResult(Drop(exchange, applied: Apply(exchange))),
        SandboxAnswer.ApplyThenStatus then => ApplyThenStatusAsync(exchange, then.Code),
        SandboxAnswer.StallAfterHeaders stall => StallAsync(exchange, stall),
        SandboxAnswer.HugeChunkedBody huge => StreamHugeBodyAsync(exchange, huge),
        _ => throw new InvalidOperationException($"unknown answer {answer.GetType().Name}"),
    };

    private async Task<Outcome> AnswerNormallyAsync(SandboxExchange exchange, HeaderValues? overrides)
    {
        var (reply, state, retryAfter) = Decide(exchange);
        var applied = reply.Succeeded && Apply(exchange);
        await WriteAsync(exchange, reply, state, retryAfter, overrides);
        return new Outcome(reply.Code, Applied: applied, State: state);
    }

    /// <summary>What Braze answers a request it did receive, in Braze's order: key, path, rate limit, body.</summary>
    private (BrazeReply Reply, RateState State, string? RetryAfter) Decide(SandboxExchange exchange)
    {
        var state = sandbox.Windows.Count(exchange.Bucket, exchange.Arrived);
        if (!exchange.Authorized)
        {
            return (new BrazeReply(401, "{\"message\":\"Invalid API key\"}"), state, null);
        }

        if (!BrazeBuckets.IsAllowed(exchange.Path))
        {
            return (new BrazeReply(404, "{\"message\":\"Not Found\"}"), state, null);
        }

        if (sandbox.Windows.ClosedUntil(exchange.Bucket, exchange.Arrived) is { } closedUntil)
        {
            return RateLimited(exchange, state with { Remaining = 0, Reset = closedUntil });
        }

        if (state.Remaining < 0)
        {
            sandbox.Windows.Announce(exchange.Bucket, exchange.Arrived, state.Reset, exchange.ClientSequence);
            return RateLimited(exchange, state);
        }

        return (BrazeRules.Evaluate(exchange.Path, exchange.Json, sandbox.UsersTrackObjectCap), state, null);
    }

    private (BrazeReply, RateState, string?) RateLimited(SandboxExchange exchange, RateState state) =>
        (new BrazeReply(429, RateLimitedBody), state, RateLimitHeaders.NaturalRetryAfter(sandbox.Dialect(exchange.Bucket), state.Reset, sandbox.Time.GetUtcNow()));

    private async Task<Outcome> AnswerStatusAsync(SandboxExchange exchange, SandboxAnswer.Status status)
    {
        var state = sandbox.Windows.Count(exchange.Bucket, exchange.Arrived);
        if (status.Code == StatusCodes.Status429TooManyRequests)
        {
            var until = status.Reset ?? state.Reset;
            sandbox.Windows.Announce(exchange.Bucket, exchange.Arrived, until, exchange.ClientSequence);
            state = state with { Remaining = 0, Reset = until };
        }
        else
        {
            // A scripted answer reports the whole limit as left, as the fake always did: it says nothing about the window.
            state = state with { Remaining = state.Limit };
        }

        await WriteAsync(exchange, new BrazeReply(status.Code, status.Body), state, status.RetryAfter, status.Headers);
        return new Outcome(status.Code, State: state);
    }

    private async Task<Outcome> DelayThenAnswerAsync(SandboxExchange exchange, TimeSpan wait)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(exchange.Context.RequestAborted, sandbox.Stopping);
        try
        {
            // Real time on purpose: the point is to outlast the client's own (real) timeout.
            await Task.Delay(wait, stop.Token);
        }
        catch (OperationCanceledException)
        {
            return new Outcome(0, Dropped: true);
        }

        return await AnswerNormallyAsync(exchange, overrides: null);
    }

    private static Outcome Drop(SandboxExchange exchange, bool applied)
    {
        exchange.Context.Abort();
        return new Outcome(0, Dropped: true, Applied: applied);
    }

    private async Task<Outcome> ApplyThenStatusAsync(SandboxExchange exchange, int code)
    {
        var applied = Apply(exchange);
        var state = sandbox.Windows.Count(exchange.Bucket, exchange.Arrived);
        await WriteAsync(exchange, new BrazeReply(code, "{\"message\":\"scripted after applying\"}"), state, null, null);
        return new Outcome(code, Applied: applied, State: state);
    }

    private async Task<Outcome> StallAsync(SandboxExchange exchange, SandboxAnswer.StallAfterHeaders stall)
    {
        var state = sandbox.Windows.Count(exchange.Bucket, exchange.Arrived);
        var applied = stall.Apply && Apply(exchange);
        WriteHead(exchange, stall.Code, state, null, null);
        await SlowAnswers.StallAsync(exchange.Response, "{\"message\":\"success\",\"note\":\"this answer never completes\"}", sandbox.Stopping);
        return new Outcome(stall.Code, Applied: applied, State: state, Fault: "stalled");
    }

    private async Task<Outcome> StreamHugeBodyAsync(SandboxExchange exchange, SandboxAnswer.HugeChunkedBody huge)
    {
        var state = sandbox.Windows.Count(exchange.Bucket, exchange.Arrived);
        var applied = huge.Apply && Apply(exchange);
        WriteHead(exchange, huge.Code, state, null, null);
        var completed = await SlowAnswers.StreamHugeBodyAsync(exchange.Response, huge.Bytes, sandbox.Stopping);
        return new Outcome(huge.Code, Applied: applied, State: state, Fault: completed ? "chunked" : "chunked, client stopped reading");
    }

    private bool Apply(SandboxExchange exchange)
    {
        sandbox.Applied.Apply(exchange.Path, exchange.Json);
        return true;
    }

    private async Task WriteAsync(SandboxExchange exchange, BrazeReply reply, RateState state, string? retryAfter, HeaderValues? overrides)
    {
        WriteHead(exchange, reply.Code, state, retryAfter, overrides);
        await exchange.Response.WriteAsync(reply.Body);
    }

    private void WriteHead(SandboxExchange exchange, int code, RateState state, string? retryAfter, HeaderValues? overrides)
    {
        exchange.Response.StatusCode = code;
        exchange.Response.ContentType = "application/json";
        RateLimitHeaders.Write(exchange.Response, sandbox.Dialect(exchange.Bucket), sandbox.Time.GetUtcNow(), state, retryAfter, overrides);
    }
}
