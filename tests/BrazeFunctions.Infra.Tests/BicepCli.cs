using System.Diagnostics;
using System.Reflection;

namespace BrazeFunctions.Infra.Tests;

/// <summary>
/// The Bicep CLI from the Azure.Bicep.CommandLine.&lt;rid&gt; package for this machine (infra/tools/BicepCli.props), the same
/// binary infra/build.sh runs. The project file bakes its path into the assembly (AssemblyMetadata "BicepCli"), so no PATH
/// lookup is involved.
/// </summary>
internal sealed class BicepCli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private BicepCli(string path) => Path = path;

    public string Path { get; }

    public static BicepCli Locate()
    {
        var path = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == "BicepCli")?.Value;
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            throw new InvalidOperationException(
                $"The Bicep CLI is not at '{path}'. Restore tests/BrazeFunctions.Infra.Tests (infra/tools/BicepCli.props picks the Azure.Bicep.CommandLine package for this OS and CPU).");
        }

        // NuGet does not keep the execute bit of a package's files on every platform.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute);
        }

        return new BicepCli(path);
    }

    /// <summary>Runs one command; <paramref name="environment"/> sets (a value) or removes (null) variables.</summary>
    public async Task<BicepRun> RunAsync(IReadOnlyList<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo(Path)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Path}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish within {Timeout}.");
        }

        return new BicepRun(process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }
}

/// <summary>Exit code and combined output (diagnostics go to stderr) of one Bicep CLI command.</summary>
internal sealed record BicepRun(int ExitCode, string Output);
