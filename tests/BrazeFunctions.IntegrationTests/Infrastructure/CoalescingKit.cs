namespace BrazeFunctions.IntegrationTests.Infrastructure;

/// <summary>The linger setting the coalescing tests share.</summary>
internal static class CoalescingKit
{
    // A second of linger: long enough that messages handed over together always meet, even on a slow machine.
    internal static readonly Dictionary<string, string?> Coalescing = new() { ["Dispatch:BatchLinger"] = "00:00:01" };
}
