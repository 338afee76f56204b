using System.Diagnostics;
using System.Text.Json;
using System.Xml.Linq;

namespace BrazeFunctions.Infra.Tests;

/// <summary>
/// infra/tools/BicepCli.props picks the Azure.Bicep.CommandLine package for the machine that builds. The mapping is
/// evaluated by MSBuild itself with the identifiers a developer machine reports (uname's and .NET's), so macOS and arm64
/// are checked here on any machine.
/// </summary>
public sealed class BicepCliPlatformTests
{
    private static readonly string Root = InfraBuild.FindRepositoryRoot();
    private static readonly string ToolProject = Path.Combine(Root, "infra", "tools", "BicepTool.csproj");

    [Theory]
    [InlineData("Darwin", "arm64", "osx-arm64")]
    [InlineData("Darwin", "x86_64", "osx-x64")]
    [InlineData("OSX", "Arm64", "osx-arm64")]
    [InlineData("Linux", "aarch64", "linux-arm64")]
    [InlineData("Linux", "arm64", "linux-arm64")]
    [InlineData("Linux", "x86_64", "linux-x64")]
    [InlineData("Linux", "X64", "linux-x64")]
    [InlineData("MINGW64_NT-10.0-22631", "x86_64", "win-x64")]
    [InlineData("MSYS_NT-10.0-22631", "x86_64", "win-x64")]
    [InlineData("CYGWIN_NT-10.0", "x86_64", "win-x64")]
    [InlineData("Windows", "X64", "win-x64")]
    [InlineData("Windows", "Arm64", "win-x64")]
    public async Task BicepCliRid_HostIdentifiers_PickThePackageForThatPlatform(string os, string architecture, string rid)
    {
        var properties = await EvaluateAsync(os, architecture);

        Assert.Equal(rid, properties["BicepCliRid"]);
        Assert.Equal($"Azure.Bicep.CommandLine.{rid}", properties["BicepCliPackage"]);
    }

    [Theory]
    [InlineData("FreeBSD", "amd64")]
    [InlineData("Linux", "riscv64")]
    [InlineData("Darwin", "i386")]
    public async Task BicepCliRid_UnsupportedPlatform_RestoreStopsWithTheSupportedList(string os, string architecture)
    {
        var properties = await EvaluateAsync(os, architecture);
        var check = await RunAsync(["msbuild", ToolProject, "-nologo", "-t:_CheckBicepCliPlatform", $"-p:BicepHostOS={os}", $"-p:BicepHostArchitecture={architecture}"]);

        Assert.Equal(string.Empty, properties["BicepCliRid"]);
        Assert.NotEqual(0, check.ExitCode);
        Assert.Contains($"No Bicep CLI package for OS '{os}' on '{architecture}'", check.Output, StringComparison.Ordinal);
        Assert.Contains("linux-x64, linux-arm64, osx-x64, osx-arm64 and win-x64", check.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void PackageVersions_EveryPlatform_PinsOneBicepVersion()
    {
        var props = XDocument.Load(Path.Combine(Root, "Directory.Packages.props"));
        var version = props.Descendants("BicepCliVersion").Single().Value;
        var pinned = props.Descendants("PackageVersion")
            .Where(p => ((string?)p.Attribute("Include"))?.StartsWith("Azure.Bicep.CommandLine.", StringComparison.Ordinal) == true)
            .ToDictionary(p => (string)p.Attribute("Include")!, p => (string)p.Attribute("Version")!, StringComparer.Ordinal);

        Assert.Equal(
            ["Azure.Bicep.CommandLine.linux-arm64", "Azure.Bicep.CommandLine.linux-x64", "Azure.Bicep.CommandLine.osx-arm64", "Azure.Bicep.CommandLine.osx-x64", "Azure.Bicep.CommandLine.win-x64"],
            pinned.Keys.Order(StringComparer.Ordinal));
        Assert.All(pinned.Values, v => Assert.Equal("$(BicepCliVersion)", v));
        Assert.Matches(@"^\d+\.\d+\.\d+$", version);
    }

    [Fact]
    public async Task BicepCliPath_ThisMachine_IsTheBinaryTheInfraTestsRun()
    {
        var properties = await EvaluateAsync(os: null, architecture: null);
        var expected = OperatingSystem.IsMacOS() ? "osx" : OperatingSystem.IsWindows() ? "win" : "linux";

        Assert.StartsWith($"{expected}-", properties["BicepCliRid"], StringComparison.Ordinal);
        Assert.Equal(Path.GetFullPath(properties["BicepCliPath"]), Path.GetFullPath(BicepCliPathOfTheseTests()));
        Assert.Contains($"azure.bicep.commandline.{properties["BicepCliRid"]}", properties["BicepCliPath"], StringComparison.OrdinalIgnoreCase);
    }

    private static string BicepCliPathOfTheseTests() =>
        typeof(BicepCliPlatformTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .Single(a => a.Key == "BicepCli").Value!;

    private static async Task<Dictionary<string, string>> EvaluateAsync(string? os, string? architecture)
    {
        var arguments = new List<string> { "msbuild", ToolProject, "-nologo", "-getProperty:BicepCliRid", "-getProperty:BicepCliPackage", "-getProperty:BicepCliPath" };
        if (os is not null)
        {
            arguments.Add($"-p:BicepHostOS={os}");
        }

        if (architecture is not null)
        {
            arguments.Add($"-p:BicepHostArchitecture={architecture}");
        }

        var run = await RunAsync(arguments);
        Assert.True(run.ExitCode == 0, run.Output);
        using var json = JsonDocument.Parse(run.Output);
        return json.RootElement.GetProperty("Properties").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty, StringComparer.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Root };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start dotnet.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
