namespace BrazeFunctions.Core.Pacing;

/// <summary>Randomness for jitter, injected like time so that tests are deterministic.</summary>
internal interface IRandomSource
{
    /// <summary>A number in [0, 1).</summary>
    double NextDouble();
}

/// <summary>The relay's randomness: the shared thread-safe generator.</summary>
internal sealed class SharedRandomSource : IRandomSource
{
#pragma warning disable RS0030 // The one place that may use the shared generator.
    public double NextDouble() => Random.Shared.NextDouble();
#pragma warning restore RS0030
}
