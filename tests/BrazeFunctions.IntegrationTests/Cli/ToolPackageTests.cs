using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using BrazeFunctions.IntegrationTests.Infrastructure;

namespace BrazeFunctions.IntegrationTests.Cli;

/// <summary>The CLI packs as a .NET tool whose command is <c>braze-relay</c> (what docs/dispatch.md tells operators to install).</summary>
public sealed class ToolPackageTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [Fact]
    public async Task Pack_Cli_ProducesAToolPackageWhoseCommandIsBrazeRelay()
    {
        var output = Directory.CreateTempSubdirectory("cli-pack-").FullName;
        try
        {
            // --no-build: the test run already built the CLI in this configuration; pack only collects it.
            var start = new ProcessStartInfo("dotnet", ["pack", Path.Combine(RepositoryRoot.Path, "src", "BrazeFunctions.Cli"), "--no-build", "-c", Configuration, "-o", output, "-nologo"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var pack = Process.Start(start)!;
            var log = await pack.StandardOutput.ReadToEndAsync() + await pack.StandardError.ReadToEndAsync();
            await pack.WaitForExitAsync();

            Assert.True(pack.ExitCode == 0, log);
            var package = Assert.Single(Directory.GetFiles(output, "BrazeFunctions.Cli.*.nupkg"));
            using var zip = ZipFile.OpenRead(package);
            var settings = zip.Entries.Single(e => e.FullName.EndsWith("/DotnetToolSettings.xml", StringComparison.Ordinal));
            using var stream = settings.Open();
            var command = XDocument.Load(stream).Descendants("Command").Single();
            Assert.Equal("braze-relay", command.Attribute("Name")?.Value);
            Assert.Equal("braze-relay.dll", command.Attribute("EntryPoint")?.Value);
            Assert.Contains(zip.Entries, e => e.FullName.EndsWith("/braze-relay.dll", StringComparison.Ordinal));
            Assert.Contains(zip.Entries, e => e.FullName.EndsWith("/BrazeFunctions.Core.dll", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
