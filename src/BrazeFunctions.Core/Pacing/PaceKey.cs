using BrazeFunctions.Core.Braze;

namespace BrazeFunctions.Core.Pacing;

/// <summary>
/// One rate-limit budget: a Braze bucket of the workspace behind one REST host and API key
/// (<see cref="BrazeWorkspace.RateLimitScope"/>, a fingerprint, never the key). The workspace's name is kept for logs and
/// metrics; two names with the same host and key pace apart on this instance and meet in the shared ledger.
/// </summary>
internal readonly record struct PaceKey(string Workspace, string Scope, BrazeBucket Bucket)
{
    public string BucketName => BrazeEndpoints.NameOf(Bucket);

    /// <summary>The bucket's row in the shared pacing table: partition = the scope, row = the bucket.</summary>
    public SharedRow SharedRow => new(Scope, BucketName);

    public override string ToString() => $"{Workspace}/{BucketName}";
}

/// <summary>One request asking for budget: where it goes and in which bucket Braze counts it.</summary>
internal sealed record PaceRequest(BrazeWorkspace Workspace, string Endpoint, BrazeBucket Bucket)
{
    public PaceKey Key { get; } = new(Workspace.Name, Workspace.RateLimitScope, Bucket);
}

/// <summary>A row of the shared pacing table.</summary>
internal readonly record struct SharedRow(string Partition, string Row);
