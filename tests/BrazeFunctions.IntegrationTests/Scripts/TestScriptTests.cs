using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BrazeFunctions.IntegrationTests.Infrastructure;

namespace BrazeFunctions.IntegrationTests.Scripts;

/// <summary>
/// scripts/test.sh side by side with scripts/run-local.sh: run by bash in a copy of the repository layout, with stand-ins
/// for dotnet, npm and infra/build.sh that record how they were called, the real node for the lock check, and stand-in
/// Azurite processes (a command line that says "azurite"), so what the script installs and what it stops can be seen.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // bash scripts with executable stand-ins
public sealed partial class TestScriptTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("test-script-").FullName;
    private readonly string _bin;
    private readonly string _log;
    private readonly string _leftovers;
    private readonly List<Process> _started = [];

    public TestScriptTests()
    {
        foreach (var script in new[] { "test.sh", "stop-test-azurite.sh", "node-modules-match-lock.js" })
        {
            Directory.CreateDirectory(Path.Combine(_root, "scripts"));
            File.Copy(Path.Combine(RepositoryRoot.Path, "scripts", script), Path.Combine(_root, "scripts", script));
        }

        File.Copy(Path.Combine(RepositoryRoot.Path, "package-lock.json"), Path.Combine(_root, "package-lock.json"));
        _bin = Directory.CreateDirectory(Path.Combine(_root, "stub-bin")).FullName;
        _log = Path.Combine(_root, "calls.log");
        _leftovers = Path.Combine(_root, "leftovers.pids");
        File.WriteAllText(_log, string.Empty);
        File.WriteAllText(_leftovers, string.Empty);
        File.CreateSymbolicLink(Path.Combine(_bin, "node"), FindOnPath("node"));
        Stub(Path.Combine(_root, "infra", "build.sh"), "#!/bin/sh\necho \"infra/build.sh\" >> \"$STUB_LOG\"\n");
        Stub(Path.Combine(_bin, "npm"), "#!/bin/sh\necho \"npm $*\" >> \"$STUB_LOG\"\n");
        // `dotnet test` writes a trx with one passed test; the integration tests' run also plays a test host that crashed
        // and left its Azurite running (listed, as the fixture lists it, in $BRAZE_TEST_AZURITE_PIDS).
        Stub(Path.Combine(_bin, "dotnet"), """
            #!/bin/bash
            echo "dotnet $1 $2" >> "$STUB_LOG"
            [ "$1" = "test" ] || exit 0
            while [ $# -gt 0 ]; do
              case "$1" in
                --results-directory) dir="$2" ;;
                --logger) name="${2#trx;LogFileName=}" ;;
              esac
              shift
            done
            mkdir -p "$dir"
            echo '<TestRun><ResultSummary><Counters total="1" executed="1" passed="1" failed="0" error="0" /></ResultSummary></TestRun>' > "$dir/$name"
            case "$name" in
              *IntegrationTests*)
                (exec -a azurite-left-by-a-crashed-test-host sleep 300) </dev/null >/dev/null 2>&1 &
                echo "$!" >> "$BRAZE_TEST_AZURITE_PIDS"
                echo "$!" >> "$STUB_LEFTOVERS"
                ;;
            esac
            """);
    }

    public void Dispose()
    {
        foreach (var process in _started)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.Dispose();
        }

        // Stand-ins the script should have stopped: if it did not, the test has failed already; do not leave them running.
        foreach (var line in File.ReadAllLines(_leftovers))
        {
            if (int.TryParse(line, out var pid))
            {
                try
                {
                    using var leftover = Process.GetProcessById(pid);
                    leftover.Kill();
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task TestScript_NodeModulesMatchTheLock_SkipsNpmCiAndStopsOnlyTheAzuriteItsTestsLeft()
    {
        InstallNodeModules(version => version);
        // What run-local.sh starts: the same binary of the same checkout as the tests' Azurite, only not listed.
        var runLocalAzurite = StartStandIn($"node {Path.Combine(_root, "node_modules", ".bin", "azurite")} --location {Path.Combine(_root, ".azurite")}");

        var (exit, output, error) = await RunAsync();

        Assert.True(exit == 0, output + error);
        Assert.Contains("npm ci skipped", output, StringComparison.Ordinal);
        Assert.DoesNotContain(Calls(), c => c.StartsWith("npm", StringComparison.Ordinal));
        Assert.Equal(["dotnet restore BrazeFunctions.sln", "dotnet build BrazeFunctions.sln", "infra/build.sh"], Calls().Take(3));
        Assert.Equal("3 passed, 0 failed", output.TrimEnd().Split('\n')[^1]);
        // The crashed test host's Azurite is stopped; the Azurite of run-local.sh, never listed, still runs.
        var leftover = int.Parse(Assert.Single(File.ReadAllLines(_leftovers)), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(await ExitedAsync(leftover), "The Azurite the tests left behind is still running.");
        Assert.False(runLocalAzurite.HasExited);
    }

    [Fact]
    public async Task TestScript_NodeModulesDifferWhileAnAzuriteRunsFromThem_StopsWithoutDeletingThem()
    {
        InstallNodeModules(version => version + "-old");
        var azurite = Path.Combine(_root, "node_modules", ".bin", "azurite");
        var runLocalAzurite = StartStandIn($"node {azurite} --location .azurite");

        var (exit, _, error) = await RunAsync();

        Assert.Equal(1, exit);
        Assert.Contains("an Azurite runs from it", error, StringComparison.Ordinal);
        Assert.Empty(Calls());
        Assert.True(File.Exists(azurite));
        Assert.False(runLocalAzurite.HasExited);
    }

    [Fact]
    public async Task TestScript_NodeModulesDifferAndNoAzuriteRuns_RunsNpmCi()
    {
        InstallNodeModules(version => version + "-old");

        var (exit, output, error) = await RunAsync();

        Assert.True(exit == 0, output + error);
        Assert.StartsWith("npm ci", Calls()[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodeModulesMatchLock_InstalledTree_ComparesEveryLockedPackage()
    {
        Assert.Equal(1, await MatchesLockAsync()); // nothing installed

        InstallNodeModules(version => version);
        Assert.Equal(0, await MatchesLockAsync());

        InstallNodeModules(version => version, dropOptional: true); // optional packages npm skips on this OS or CPU
        Assert.Equal(0, await MatchesLockAsync());

        InstallNodeModules(version => version, dropRequired: true);
        Assert.Equal(1, await MatchesLockAsync());

        InstallNodeModules(version => version + "-old");
        Assert.Equal(1, await MatchesLockAsync());
    }

    [Fact]
    public void Scripts_Bash_UseNothingThatBash32Lacks()
    {
        var scripts = Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, "scripts"), "*.sh")
            .Concat(Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, "infra"), "*.sh"))
            .Append(Path.Combine(RepositoryRoot.Path, ".ci", "run"))
            .ToList();

        Assert.Contains(scripts, s => s.EndsWith("test.sh", StringComparison.Ordinal));
        Assert.Contains(scripts, s => s.EndsWith("build.sh", StringComparison.Ordinal));
        foreach (var script in scripts)
        {
            var code = string.Join('\n', File.ReadAllLines(script).Where(l => !l.TrimStart().StartsWith('#')));
            Assert.True(!Bash4Only().IsMatch(code), $"{script} uses a bash 4 feature: {Bash4Only().Match(code).Value}");
        }

        // Stopping by name would stop the Azurite of run-local.sh too.
        var testScript = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "scripts", "test.sh"));
        Assert.DoesNotMatch(@"\b(pkill|killall)\b", testScript);
    }

    // mapfile/readarray, associative arrays, case conversion, &>> and |& redirections, coproc, ${var@op}, negative
    // substring offsets written without a space and `declare -n` name references all came with bash 4 or later.
    [GeneratedRegex(@"\bmapfile\b|\breadarray\b|\b(declare|local|typeset)\s+-[a-zA-Z]*[An]|\$\{[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?(,,?|\^\^?)\}|&>>|\|&|\bcoproc\b|\$\{[A-Za-z_][A-Za-z0-9_]*@[QEPAKaUuL]\}")]
    private static partial Regex Bash4Only();

    private void InstallNodeModules(Func<string, string> version, bool dropOptional = false, bool dropRequired = false)
    {
        var locked = JsonNode.Parse(File.ReadAllText(Path.Combine(_root, "package-lock.json")))!["packages"]!.AsObject();
        var installed = new JsonObject();
        var droppedRequired = false;
        foreach (var (key, value) in locked)
        {
            if (key.Length == 0 || (dropOptional && value?["optional"]?.GetValue<bool>() == true))
            {
                continue;
            }

            if (dropRequired && !droppedRequired && value?["optional"] is null)
            {
                droppedRequired = true;
                continue;
            }

            var entry = value!.DeepClone().AsObject();
            entry["version"] = version(entry["version"]!.GetValue<string>());
            installed[key] = entry;
        }

        var modules = Directory.CreateDirectory(Path.Combine(_root, "node_modules")).FullName;
        File.WriteAllText(Path.Combine(modules, ".package-lock.json"), new JsonObject { ["name"] = "x", ["lockfileVersion"] = 3, ["packages"] = installed }.ToJsonString());
        Stub(Path.Combine(modules, ".bin", "azurite"), "#!/bin/sh\nexec sleep 300\n");
    }

    private Process StartStandIn(string commandLine)
    {
        var start = new ProcessStartInfo("bash") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        // exec -a names the process: `ps` then shows this command line (then "300"), as it would a real Azurite's.
        start.ArgumentList.Add("exec -a \"$0\" sleep 300");
        start.ArgumentList.Add(commandLine);
        var process = Process.Start(start)!;
        _started.Add(process);
        return process;
    }

    /// <summary>Whether the process is gone (or a zombie nobody reaped yet, which no longer runs anything).</summary>
    private Task<bool> ExitedAsync(int pid) =>
        Poll.TryUntilAsync(
            async () =>
            {
                var state = await RunProcessAsync("ps", ["-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", "stat="]);
                return state.Output.Trim().Length == 0 || state.Output.TrimStart().StartsWith('Z');
            },
            TimeSpan.FromSeconds(10),
            TimeSpan.FromMilliseconds(100));

    private async Task<int> MatchesLockAsync()
    {
        var run = await RunProcessAsync("node", [Path.Combine(_root, "scripts", "node-modules-match-lock.js"), _root]);
        return run.Exit;
    }

    private Task<(int Exit, string Output, string Error)> RunAsync() =>
        RunProcessAsync("bash", [Path.Combine(_root, "scripts", "test.sh")]);

    private async Task<(int Exit, string Output, string Error)> RunProcessAsync(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PATH"] = _bin + ":/usr/bin:/bin";
        start.Environment["STUB_LOG"] = _log;
        start.Environment["STUB_LEFTOVERS"] = _leftovers;
        start.Environment.Remove("CONFIGURATION");
        start.Environment.Remove(AzuriteFixture.ProcessIdFileVariable);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    private List<string> Calls() => [.. File.ReadAllLines(_log).Where(l => l.Length > 0)];

    private static string FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists) ?? throw new InvalidOperationException($"{name} is not on PATH.");

    private static void Stub(string path, string script)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, script.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
    }
}
