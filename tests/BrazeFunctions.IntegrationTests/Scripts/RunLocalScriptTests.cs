using System.Diagnostics;
using BrazeFunctions.IntegrationTests.Infrastructure;

namespace BrazeFunctions.IntegrationTests.Scripts;

/// <summary>
/// scripts/run-local.sh, run by bash in a copy of the repository layout with stand-ins for npm, dotnet, func and Azurite
/// on PATH that record how they were called. The real Core Tools install downloads from a CDN, so it is stood in for too.
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
        """;

    private readonly string _root = Directory.CreateTempSubdirectory("run-local-").FullName;
    private readonly string _bin;
    private readonly string _log;

    public RunLocalScriptTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "scripts"));
        File.Copy(Path.Combine(RepositoryRoot.Path, "scripts", "run-local.sh"), Path.Combine(_root, "scripts", "run-local.sh"));
        File.Copy(Path.Combine(RepositoryRoot.Path, "local.settings.sample.json"), Path.Combine(_root, "local.settings.sample.json"));
        Directory.CreateDirectory(Path.Combine(_root, "src", "BrazeFunctions", "bin", "Debug", "net10.0"));
        _bin = Directory.CreateDirectory(Path.Combine(_root, "stub-bin")).FullName;
        _log = Path.Combine(_root, "calls.log");
        File.WriteAllText(_log, string.Empty);
        Stub(Path.Combine(_root, "node_modules", ".bin", "azurite"), "#!/bin/sh\necho \"azurite $*\" >> \"$STUB_LOG\"\nexec sleep 60\n");
        Stub(Path.Combine(_bin, "dotnet"), "#!/bin/sh\necho \"dotnet $*\" >> \"$STUB_LOG\"\n");
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
        Assert.Equal(3, steps.Count);
        Assert.StartsWith("npm ci", steps[0], StringComparison.Ordinal);
        Assert.Equal($"dotnet build {Path.Combine(_root, "src", "BrazeFunctions")} -c Debug", steps[1]);
        Assert.Equal($"func host start --port 7072 @ {Path.Combine(_root, "src", "BrazeFunctions", "bin", "Debug", "net10.0")}", steps[2]);
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
    public void PackageJson_NeverPullsCoreToolsIntoCi()
    {
        foreach (var file in new[] { "package.json", "package-lock.json" })
        {
            Assert.DoesNotContain("azure-functions-core-tools", File.ReadAllText(Path.Combine(RepositoryRoot.Path, file)), StringComparison.Ordinal);
        }
    }

    private List<string> Calls() => [.. File.ReadAllLines(_log).Where(l => l.Length > 0)];

    private async Task<(int Exit, string Output, string Error)> RunAsync(string npmInstall, params string[] args)
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
        start.Environment.Remove("FUNC_TOOLS_DIR");
        start.Environment.Remove("CONFIGURATION");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }

    private static void Stub(string path, string script)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, script.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
    }
}
