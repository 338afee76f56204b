using BrazeFunctions.Core.Pacing;

namespace BrazeFunctions.IntegrationTests.Infrastructure;

/// <summary>Randomness fixed at zero: no jitter, and every window's spread starts at phase 0, so a test can say which slot a request gets.</summary>
internal sealed class NoRandom : IRandomSource
{
    public double NextDouble() => 0;
}
