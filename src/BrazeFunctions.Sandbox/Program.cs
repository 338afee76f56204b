namespace BrazeFunctions.Sandbox;

/// <summary><c>dotnet run --project src/BrazeFunctions.Sandbox -- [options]</c>: the sandbox as its own process.</summary>
internal static class Program
{
    public static Task<int> Main(string[] args) =>
        SandboxCommandLine.Create(RunAsync).Parse(args).InvokeAsync();

    private static async Task<int> RunAsync(SandboxOptions options, CancellationToken cancellation)
    {
        BrazeSandbox sandbox;
        try
        {
            sandbox = await BrazeSandbox.StartAsync(TimeProvider.System, options, Console.Out);
        }
        catch (IOException problem)
        {
            await Console.Error.WriteLineAsync($"[braze-sandbox] cannot listen on {options.Listen}: {problem.Message}");
            return 1;
        }

        await using (sandbox)
        {
            await Console.Out.WriteLineAsync(Banner(sandbox, options));
            await Console.Out.FlushAsync(cancellation);
            await sandbox.WaitForShutdownAsync();
        }

        return 0;
    }

    private static string Banner(BrazeSandbox sandbox, SandboxOptions options)
    {
        // The key itself is never printed: say only whether it is the sample's placeholder.
        var key = options.ApiKey == SandboxOptions.DefaultApiKey ? "the key of local.settings.sample.json" : "the key given to --api-key";
        var buckets = string.Join(", ", Enum.GetValues<BrazeBucket>().Select(b => $"{BrazeBuckets.Name(b)} {sandbox.Limit(b)} ({sandbox.Dialect(b)})"));
        return $"[braze-sandbox] Braze sandbox listening on {sandbox.BaseAddress.ToString().TrimEnd('/')}, accepting {key}; nothing leaves this machine."
            + Environment.NewLine + "[braze-sandbox] limits: " + buckets
            + (options.JsonlPath is null ? string.Empty : Environment.NewLine + "[braze-sandbox] appending each request to " + Path.GetFullPath(options.JsonlPath));
    }
}
