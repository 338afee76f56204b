using System.Globalization;
using System.Text;

namespace BrazeFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// Where measured runs write their figures: TestResults/ on every run (a test run must not change tracked files), and
/// benchmarks/results/ when RELAY_MEASURED_RUN=full asks for the long run whose copy is committed.
/// </summary>
internal static class MeasuredRunReport
{
    public static bool Full => string.Equals(Environment.GetEnvironmentVariable("RELAY_MEASURED_RUN"), "full", StringComparison.OrdinalIgnoreCase);

    /// <summary>Starts the part of a results file written by hand (samples of other commits, what they show): a run keeps it.</summary>
    public const string KeptNotes = "<!-- Written by hand below this line; a new run keeps it. -->";

    public static async Task WriteAsync(string fileName, string text)
    {
        var folder = Full ? Path.Combine(RepositoryRoot.Path, "benchmarks", "results") : Path.Combine(RepositoryRoot.Path, "TestResults");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, fileName);
        if (File.Exists(path) && await File.ReadAllTextAsync(path) is var previous && previous.IndexOf(KeptNotes, StringComparison.Ordinal) is var notes and >= 0)
        {
            text = text + "\n" + previous[notes..];
        }

        await File.WriteAllTextAsync(path, text);
    }

    public static string Row(params object?[] cells) =>
        "| " + string.Join(" | ", cells.Select(c => c switch
        {
            double d => d.ToString("0.##", CultureInfo.InvariantCulture),
            null => "-",
            _ => Convert.ToString(c, CultureInfo.InvariantCulture),
        })) + " |";

    public static string Percent(double share) => (share * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %";

    public static StringBuilder Line(this StringBuilder builder, string text = "") => builder.Append(text).Append('\n');
}
