using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace BrazeFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// One real Azurite (the npm package installed by <c>npm ci</c>) for the test run, on free ports read from its output,
/// in memory, stopped when the tests finish. Every test class that needs storage joins <see cref="AzuriteCollection"/>.
/// A measured run that outlives a minute can ask for one on disk (<see cref="OnDisk"/>): in memory, every queue message
/// is an extent of its own, and the queue garbage collection Azurite runs every 60 s deletes them one at a time while
/// answering nothing else (12.4 s for 2,757 extents, in its debug log); on disk, messages share extent files.
/// </summary>
public sealed partial class AzuriteFixture : IAsyncLifetime
{
    // Azurite's documented well-known development account; it is public and only valid against the emulator.
    private const string AccountName = "devstoreaccount1";
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>The file scripts/test.sh reads to stop the Azurite processes of a crashed test host.</summary>
    public const string ProcessIdFileVariable = "BRAZE_TEST_AZURITE_PIDS";

    private readonly StringBuilder _output = new();
    private Process? _process;
    private string? _location;

    /// <summary>An Azurite that keeps its data in a folder of its own under the temporary directory, deleted when it stops.</summary>
    public static AzuriteFixture OnDisk()
    {
        var location = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "braze-azurite-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(location);
        return new AzuriteFixture { _location = location };
    }

    public int BlobPort { get; private set; }

    public int QueuePort { get; private set; }

    public int TablePort { get; private set; }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/{AccountName};QueueEndpoint=http://127.0.0.1:{QueuePort}/{AccountName};" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/{AccountName};";

    /// <summary>Queues that work and a table endpoint with nothing listening: the table service is down.</summary>
    public string ConnectionStringWithTablesDown(int deadPort) =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/{AccountName};QueueEndpoint=http://127.0.0.1:{QueuePort}/{AccountName};" +
        $"TableEndpoint=http://127.0.0.1:{deadPort}/{AccountName};";

    /// <summary>A connection string whose queue endpoint has nothing listening: storage that is down.</summary>
    public static string UnreachableConnectionString(int port) =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};QueueEndpoint=http://127.0.0.1:{port}/{AccountName};";

    public async ValueTask InitializeAsync()
    {
        var executable = System.IO.Path.Combine(RepositoryRoot.Path, "node_modules", ".bin", "azurite");
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException($"Azurite is not installed at {executable}: run 'npm ci' in the repository root.");
        }

        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot.Path,
        };
        foreach (var argument in new[]
                 {
                     "--blobHost", "127.0.0.1", "--blobPort", "0",
                     "--queueHost", "127.0.0.1", "--queuePort", "0",
                     "--tableHost", "127.0.0.1", "--tablePort", "0",
                     "--skipApiVersionCheck", "--loose", "--disableProductStyleUrl",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        if (_location is null)
        {
            start.ArgumentList.Add("--inMemoryPersistence");
        }
        else
        {
            start.ArgumentList.Add("--location");
            start.ArgumentList.Add(_location);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnOutput(e.Data, ready);
        _process.ErrorDataReceived += (_, e) => OnOutput(e.Data, ready);
        _process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"Azurite exited early:\n{Output()}"));
        _process.Start();
        RecordProcessId(_process.Id);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var finished = await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(60))).ConfigureAwait(false);
        if (finished != ready.Task)
        {
            throw new InvalidOperationException($"Azurite did not report its ports within 60 s:\n{Output()}");
        }

        await ready.Task.ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process?.Dispose();
        if (_location is not null && Directory.Exists(_location))
        {
            Directory.Delete(_location, recursive: true);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// scripts/test.sh names a file in <see cref="ProcessIdFileVariable"/> and, after the run, stops only the Azurite processes
    /// listed there that still run (a crashed test host leaves its Azurite behind): never one that run-local.sh started.
    /// </summary>
    private static void RecordProcessId(int processId)
    {
        var file = Environment.GetEnvironmentVariable(ProcessIdFileVariable);
        if (!string.IsNullOrEmpty(file))
        {
            File.AppendAllText(file, processId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
        }
    }

    private void OnOutput(string? line, TaskCompletionSource ready)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
            var match = ListeningLine().Match(line);
            if (match.Success)
            {
                var port = int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
                switch (match.Groups["service"].Value)
                {
                    case "Blob": BlobPort = port; break;
                    case "Queue": QueuePort = port; break;
                    case "Table": TablePort = port; break;
                }
            }

            if (BlobPort > 0 && QueuePort > 0 && TablePort > 0)
            {
                ready.TrySetResult();
            }
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service (is )?successfully listen(s|ing) (on|at) https?://[^:]+:(?<port>\d+)")]
    private static partial Regex ListeningLine();
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
