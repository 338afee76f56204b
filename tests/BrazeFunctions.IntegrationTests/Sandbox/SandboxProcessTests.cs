using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;

namespace BrazeFunctions.IntegrationTests.Sandbox;

/// <summary>The sandbox as its own process: its options, and the build output run with dotnet as run-local.sh runs it.</summary>
public sealed class SandboxProcessTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sandbox-process-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ToOptions_LimitsDialectsAndHostileAnswers_ParsedPerBucket()
    {
        var options = Parse(
            "--limit", "users-track=6/3s", "--limit", "identity=4/6", "--limit", "messaging=2/1m",
            "--dialect", "all=lower-case", "--dialect", "identity=reset=remaining,retry-after=x-ratelimit-retryafter",
            "--hostile", "identity@3=retry-after-two-days", "--jsonl", "out/requests.jsonl", "--echo", "line");

        Assert.Equal(
            [(BrazeBucket.UsersTrack, 6, 3), (BrazeBucket.Identity, 4, 6), (BrazeBucket.Messaging, 2, 60)],
            options.Limits.Select(l => (l.Key, l.Value.Requests, (int)l.Value.Window.TotalSeconds)));
        Assert.Equal(new HeaderDialect(ResetStyle.SecondsRemaining, RetryAfterStyle.XRateLimitRetryAfterUnhyphenated, LowerCaseNames: true), options.Dialects[BrazeBucket.Identity]);
        Assert.Equal(new HeaderDialect(LowerCaseNames: true), options.Dialects[BrazeBucket.Other]);
        var (bucket, nth, answer) = Assert.Single(options.BucketScripts);
        Assert.Equal((BrazeBucket.Identity, 3, "172800"), (bucket, nth, ((SandboxAnswer.Status)answer).RetryAfter));
        Assert.Equal(("out/requests.jsonl", EchoMode.Line), (options.JsonlPath, options.Echo));
    }

    [Fact]
    public void ToOptions_NothingGiven_BrazesDefaultsAndTheSampleSettingsKey()
    {
        var options = Parse();

        Assert.Equal((SandboxOptions.DefaultListen, SandboxOptions.DefaultApiKey, EchoMode.Full, 75), (options.Listen, options.ApiKey, options.Echo, options.UsersTrackObjectCap));
        Assert.Empty(options.Limits);
        Assert.Equal("3000/3s", BrazeBuckets.DefaultLimit(BrazeBucket.UsersTrack).ToString());
    }

    [Theory]
    [InlineData("--limit", "users-track=6", "limit '6' is not <requests>/<window>")]
    [InlineData("--limit", "bulk=6/3s", "unknown bucket 'bulk'")]
    [InlineData("--limit", "users-track=6/0s", "window '0s' is not a whole number")]
    [InlineData("--dialect", "identity=reset=sometimes", "unknown dialect token 'reset=sometimes'")]
    [InlineData("--hostile", "identity=negative", "is not <bucket>@<n>=<kind>")]
    [InlineData("--hostile", "identity@1=rude", "unknown hostile answer 'rude'")]
    public async Task Run_BadOption_ExitsOneNamingTheProblem(string option, string value, string message)
    {
        var error = new StringWriter();
        var ran = false;

        var exit = await SandboxCommandLine.Create((_, _) => { ran = true; return Task.FromResult(0); })
            .Parse([option, value])
            .InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = new StringWriter(), Error = error });

        Assert.Equal((1, false), (exit, ran));
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_FromItsBuildOutput_AnswersPrintsTheRequestAndAppendsItToTheJsonl()
    {
        var port = FreePort.Next();
        var jsonl = Path.Combine(_folder, "requests.jsonl");
        using var process = Start("--listen", $"http://127.0.0.1:{port}", "--jsonl", jsonl, "--limit", "users-track=6/3s");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, line) => { lock (output) { output.AppendLine(line.Data); } };
        process.BeginOutputReadLine();
        using var http = new HttpClient();
        http.BaseAddress = new Uri($"http://127.0.0.1:{port}");
        HttpResponseMessage? answer = null;
        for (var attempt = 0; attempt < 100 && answer is null; attempt++)
        {
            answer = await TryPostAsync(http, """{"attributes":[{"external_id":"user-123","plan":"gold"}]}""");
        }

        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();

        Assert.Equal(HttpStatusCode.Created, answer?.StatusCode);
        Assert.Equal("6", answer!.Headers.GetValues("X-RateLimit-Limit").Single());
        var printed = output.ToString();
        Assert.Contains($"Braze sandbox listening on http://127.0.0.1:{port}", printed, StringComparison.Ordinal);
        Assert.Contains("POST /users/track -> 201  [users-track 5/6 left, 1 object]", printed, StringComparison.Ordinal);
        Assert.Contains("\"external_id\": \"user-123\"", printed, StringComparison.Ordinal);
        Assert.DoesNotContain(SandboxOptions.DefaultApiKey, printed, StringComparison.Ordinal);
        var line = JsonNode.Parse(File.ReadAllLines(jsonl).Single())!;
        Assert.Equal(("user-123", 201), (line["ids"]![0]!.GetValue<string>(), line["status"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Process_PortTaken_ExitsOneSayingItCannotListen()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        using var process = Start("--listen", $"http://127.0.0.1:{port}");
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(1, process.ExitCode);
        Assert.Contains($"[braze-sandbox] cannot listen on http://127.0.0.1:{port}", error, StringComparison.Ordinal);
    }

    private static SandboxOptions Parse(params string[] args)
    {
        SandboxOptions? parsed = null;
        var exit = SandboxCommandLine.Create((options, _) => { parsed = options; return Task.FromResult(0); }).Parse(args).Invoke();
        Assert.Equal(0, exit);
        return parsed!;
    }

    private static Process Start(params string[] args)
    {
        // The test's output folder holds the sandbox's build output (a project reference), as run-local.sh runs it.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "BrazeFunctions.Sandbox.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove(SandboxCommandLine.ApiKeyVariable);
        return Process.Start(start)!;
    }

    private static async Task<HttpResponseMessage?> TryPostAsync(HttpClient http, string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/users/track") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SandboxOptions.DefaultApiKey);
        try
        {
            return await http.SendAsync(request);
        }
        catch (HttpRequestException)
        {
            await Task.Delay(200);
            return null;
        }
    }
}
