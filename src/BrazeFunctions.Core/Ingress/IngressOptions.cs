using System.ComponentModel.DataAnnotations;

namespace BrazeFunctions.Core.Ingress;

/// <summary>Settings of the webhook ingress (<c>POST /api/hooks/{route}</c>).</summary>
internal sealed class IngressOptions
{
    public const string Section = "Ingress";

    /// <summary>
    /// Largest body accepted. 48,000 bytes plus the envelope (under 1 KB) stays under the 64 KiB queue message limit
    /// after Base64 encoding (4/3).
    /// </summary>
    public const int MaxBodyBytesLimit = 48_000;

    /// <summary>Optional shared secret. When set, every webhook must carry it in <see cref="SecretHeader"/>.</summary>
    public string? SharedSecret { get; set; }

    /// <summary>
    /// The secret being rotated in: accepted as well as <see cref="SharedSecret"/>, so Braze can switch to it before the old
    /// one is removed. Set alone, it is the only secret accepted. Empty (the default) when no rotation is under way.
    /// </summary>
    public string? NextSharedSecret { get; set; } = string.Empty;

    /// <summary>Header that carries the shared secret (Braze webhooks can send custom headers).</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9-]{1,64}$")]
    public string SecretHeader { get; set; } = "X-Relay-Secret";

    [Range(1, MaxBodyBytesLimit)]
    public int MaxBodyBytes { get; set; } = MaxBodyBytesLimit;

    /// <summary>Seconds sent in <c>Retry-After</c> when the queue cannot be reached (Braze honours it on 5XX).</summary>
    [Range(1, 3600)]
    public int StorageRetryAfterSeconds { get; set; } = 30;
}
