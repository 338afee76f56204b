using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;

namespace BrazeFunctions.IntegrationTests.Scripts;

/// <summary>
/// scripts/run-local.sh, run by bash in a copy of the repository layout with stand-ins for npm, dotnet, func and Azurite
/// on PATH that record how they were called. The real Core Tools install downloads from a CDN, so it is stood in for too.
/// The Braze sandbox is the real one: the dotnet stand-in runs this test's copy of its build output.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // a bash script with executable stand-ins
public sealed class RunLocalScriptTests : IDisposable
{
    private const string FuncStub = """
        #!/bin/sh
        if [ "$1" = "--version" ]; then echo "4.0.7030"; exit 0; fi
        # Azurite runs in the background: let its stand-in record its start before the host's, as a real host waits for storage.
        for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do grep -q '^azurite' "$STUB_LOG" && break; sleep 0.25; done
        echo "func $* @ $(pwd)" >> "$STUB_LOG"
        # Stands in for a host that keeps running until its user is done (a test creates the file when it has posted).
        if [ -n "$STUB_FUNC_UNTIL" ]; then for _ in $(seq 1 240); do [ -f "$STUB_FUNC_UNTIL" ] && break; sleep 0.25; done; fi
        """;

    private readonly string _root = Directory.CreateTempSubdirectory("run-local-").FullName;
    private readonly string _bin;
    private readonly string _log;
    private readonly int _sandboxPort = FreePort.Next();

    public RunLocalScriptTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "scripts"));
        File.Copy(Path.Combine(RepositoryRoot.Path, "scripts", "run-local.sh"), Path.Combine(_root, "scripts", "run-local.sh"));
        // The sample as shipped, on a port of this test's own so that tests and a developer's sandbox never meet.
        var sample = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "local.settings.sample.json"))
            .Replace(SandboxOptions.DefaultListen, $"http://127.0.0.1:{_sandboxPort}", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_root, "local.settings.sample.json"), sample);
        Directory.CreateDirectory(Path.Combine(_root, "src", "BrazeFunctions", "bin", "Debug", "net10.0"));
        _bin = Directory.CreateDirectory(Path.Combine(_root, "stub-bin")).FullName;
        _log = Path.Combine(_root, "calls.log");
        File.WriteAllText(_log, string.Empty);
        Stub(Path.Combine(_root, "node_modules", ".bin", "azurite"), "#!/bin/sh\necho \"azurite $*\" >> \"$STUB_LOG\"\nexec sleep 60\n");
        Stub(Path.Combine(_bin, "dotnet"), """
            #!/bin/sh
            echo "dotnet $*" >> "$STUB_LOG"
            case "$1" in
              *BrazeFunctions.Sandbox.dll) shift; exec "$REAL_DOTNET" "$SANDBOX_DLL" "$@" ;;
            esac
            """);
        Stub(Path.Combine(_bin, "npm"), """
            #!/bin/sh
            echo "npm $*" >> "$STUB_LOG"
            if [ "$1" = "install" ]; then
              [ "$STUB_NPM_INSTALL" = "ok" ] || { echo "npm ERR! postinstall: download failed" >&2; exit 1; }
              while [ $# -gt 0 ]; do [ "$1" = "--prefix" ] && prefix="$2"; shift; done
              mkdir -p "$prefix/node_modules/.bin"
              cp "$STUB_FUNC" "$prefix/node_modules/.bin/func"
            fi
            """);
        Stub(Path.Combine(_root, "func-stub"), FuncStub);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task RunLocal_FuncOnPath_SetsUpAzuriteBuildsAndStartsTheHostOnTheBuildOutput()
    {
        Stub(Path.Combine(_bin, "func"), FuncStub);

        var (exit, _, error) = await RunAsync(npmInstall: "fail", "--port", "7072");

        Assert.True(exit == 0, error);
        var calls = Calls();
        Assert.StartsWith("azurite --location " + Path.Combine(_root, ".azurite"), Assert.Single(calls, c => c.StartsWith("azurite", StringComparison.Ordinal)), StringComparison.Ordinal);
        var steps = calls.Where(c => !c.StartsWith("azurite", StringComparison.Ordinal)).ToList();
        var sandbox = Path.Combine(_root, "src", "BrazeFunctions.Sandbox");
        Assert.Equal(5, steps.Count);
        Assert.StartsWith("npm ci", steps[0], StringComparison.Ordinal);
        Assert.Equal($"dotnet build {Path.Combine(_root, "src", "BrazeFunctions")} -c Debug", steps[1]);
        Assert.Equal($"dotnet build {sandbox} -c Debug", steps[2]);
        Assert.Equal($"dotnet {Path.Combine(sandbox, "bin", "Debug", "net10.0", "BrazeFunctions.Sandbox.dll")} --listen http://127.0.0.1:{_sandboxPort} --jsonl {Path.Combine(_root, ".sandbox", "requests.jsonl")}", steps[3]);
        Assert.Equal($"func host start --port 7072 @ {Path.Combine(_root, "src", "BrazeFunctions", "bin", "Debug", "net10.0")}", steps[4]);
        Assert.Equal(File.ReadAllText(Path.Combine(_root, "local.settings.sample.json")), File.ReadAllText(Path.Combine(_root, "src", "BrazeFunctions", "local.settings.json")));
    }

    [Fact]
    public async Task RunLocal_FuncMissing_InstallsCoreToolsLocallyWithNpmAndUsesThem()
    {
        var (exit, output, error) = await RunAsync(npmInstall: "ok");

        Assert.True(exit == 0, error);
        var calls = Calls();
        var tools = Path.Combine(_root, ".tools", "func-cli");
        Assert.Equal($"npm install --no-save --no-audit --no-fund --loglevel=error --prefix {tools} azure-functions-core-tools@4", calls[0]);
        Assert.StartsWith("npm ci", calls[1], StringComparison.Ordinal);
        Assert.StartsWith("func host start @ ", calls[^1], StringComparison.Ordinal);
        Assert.Contains($"using {Path.Combine(tools, "node_modules", ".bin", "func")} (4.0.7030)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunLocal_CoreToolsInstallFails_ExitsWithAClearMessageAndStartsNothing()
    {
        var (exit, _, error) = await RunAsync(npmInstall: "fail");

        Assert.Equal(1, exit);
        Assert.Contains("installing Azure Functions Core Tools v4 with npm failed", error, StringComparison.Ordinal);
        Assert.Contains("npm install -g azure-functions-core-tools@4", error, StringComparison.Ordinal);
        Assert.StartsWith("npm install --no-save", Assert.Single(Calls()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunLocal_SampleSettings_TheSandboxsRequestLinesAppearInTheScriptsOwnOutput()
    {
        Stub(Path.Combine(_bin, "func"), FuncStub);
        var posted = Path.Combine(_root, "posted");

        var (exit, output, error) = await RunAsync(npmInstall: "fail", untilFile: posted, whileRunning: async () =>
        {
            // What the relay does once a webhook is queued: send the rendered request to the configured Braze endpoint.
            Assert.Equal(System.Net.HttpStatusCode.Created, await PostToSandboxAsync("""{"attributes":[{"external_id":"user-123","plan":"gold"}]}"""));
            await File.WriteAllTextAsync(posted, "done");
        });

        Assert.True(exit == 0, error);
        Assert.Contains("==> starting the Braze sandbox on http://127.0.0.1:" + _sandboxPort, output, StringComparison.Ordinal);
        Assert.Contains("POST /users/track -> 201  [users-track 2999/3000 left, 1 object]", output, StringComparison.Ordinal);
        Assert.Contains("[braze-sandbox]         \"external_id\": \"user-123\",", output, StringComparison.Ordinal);
        var line = JsonNode.Parse(File.ReadAllLines(Path.Combine(_root, ".sandbox", "requests.jsonl")).Single())!;
        Assert.Equal("user-123", line["ids"]![0]!.GetValue<string>());
        Assert.False(await AnswersAsync(_sandboxPort), "the sandbox outlived run-local.sh");
    }

    [Fact]
    public async Task RunLocal_EndpointIsBraze_StartsNoSandboxAndSaysSo()
    {
        Stub(Path.Combine(_bin, "func"), FuncStub);
        var settings = Path.Combine(_root, "src", "BrazeFunctions", "local.settings.json");
        File.WriteAllText(settings, File.ReadAllText(Path.Combine(_root, "local.settings.sample.json"))
            .Replace($"http://127.0.0.1:{_sandboxPort}", "https://rest.fra-01.braze.eu", StringComparison.Ordinal));

        var (exit, output, error) = await RunAsync(npmInstall: "fail");

        Assert.True(exit == 0, error);
        Assert.Contains("Braze__RestEndpoint is https://rest.fra-01.braze.eu: sending to Braze itself", output, StringComparison.Ordinal);
        Assert.DoesNotContain(Calls(), c => c.Contains("Sandbox", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunLocal_SandboxPortTaken_ExitsWithAClearMessageAndStartsNoHost()
    {
        Stub(Path.Combine(_bin, "func"), FuncStub);
        using var taken = new TcpListener(System.Net.IPAddress.Loopback, _sandboxPort);
        taken.Start();

        var (exit, _, error) = await RunAsync(npmInstall: "fail");

        Assert.Equal(1, exit);
        Assert.Contains($"error: something already listens on http://127.0.0.1:{_sandboxPort}", error, StringComparison.Ordinal);
        Assert.DoesNotContain(Calls(), c => c.StartsWith("func", StringComparison.Ordinal) || c.Contains("Sandbox", StringComparison.Ordinal));
    }

    [Fact]
    public void PackageJson_NeverPullsCoreToolsIntoCi()
    {
        foreach (var file in new[] { "package.json", "package-lock.json" })
        {
            Assert.DoesNotContain("azure-functions-core-tools", File.ReadAllText(Path.Combine(RepositoryRoot.Path, file)), StringComparison.Ordinal);
        }
    }

    private List<string> Calls() => [.. File.ReadAllLines(_log).Where(l => l.Length > 0)];

    private async Task<System.Net.HttpStatusCode?> PostToSandboxAsync(string json)
    {
        using var http = new HttpClient();
        for (var attempt = 0; attempt < 240; attempt++)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{_sandboxPort}/users/track") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SandboxOptions.DefaultApiKey);
            try
            {
                return (await http.SendAsync(request)).StatusCode;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(250);
            }
        }

        return null;
    }

    private static async Task<bool> AnswersAsync(int port)
    {
        using var probe = new TcpClient();
        try
        {
            await probe.ConnectAsync(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private Task<(int Exit, string Output, string Error)> RunAsync(string npmInstall, params string[] args) => RunAsync(npmInstall, null, null, args);

    private async Task<(int Exit, string Output, string Error)> RunAsync(string npmInstall, string? untilFile, Func<Task>? whileRunning, params string[] args)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _root,
        };
        start.ArgumentList.Add(Path.Combine(_root, "scripts", "run-local.sh"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["PATH"] = _bin + ":/usr/bin:/bin";
        start.Environment["STUB_LOG"] = _log;
        start.Environment["STUB_FUNC"] = Path.Combine(_root, "func-stub");
        start.Environment["STUB_NPM_INSTALL"] = npmInstall;
        start.Environment["STUB_FUNC_UNTIL"] = untilFile ?? string.Empty;
        start.Environment["REAL_DOTNET"] = RealDotnet();
        start.Environment["SANDBOX_DLL"] = Path.Combine(AppContext.BaseDirectory, "BrazeFunctions.Sandbox.dll");
        start.Environment.Remove("FUNC_TOOLS_DIR");
        start.Environment.Remove("CONFIGURATION");
        start.Environment.Remove(SandboxCommandLine.ApiKeyVariable);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            if (whileRunning is not null)
            {
                await whileRunning();
            }
        }
        finally
        {
            if (untilFile is not null && !File.Exists(untilFile))
            {
                await File.WriteAllTextAsync(untilFile, "give up");
            }

            await process.WaitForExitAsync();
        }

        return (process.ExitCode, await output, await error);
    }

    /// <summary>The dotnet that runs this test: the sandbox stand-in hands its build output to it.</summary>
    private static string RealDotnet() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "dotnet"))
            .First(File.Exists);

    private static void Stub(string path, string script)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, script.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
    }
}
