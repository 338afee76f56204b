using System.ComponentModel.DataAnnotations;

namespace BrazeFunctions.Core.Ingress;

/// <summary>Settings of the webhook ingress (<c>POST /api/hooks/{route}</c>).</summary>
internal sealed class IngressOptions
{
    public const string Section = "Ingress";

    /// <summary>The highest <see cref="MaxBodyBytes"/> allowed: Braze's own REST bodies go to 4 MB.</summary>
    public const int MaxBodyBytesLimit = 4 * 1024 * 1024;

    /// <summary>
    /// The default <see cref="MaxBodyBytes"/>: 1 MiB. A body that fits a queue message with the envelope and the relay's
    /// later fields travels inline; a larger one is kept in a blob (the claim-check) and the envelope carries its name.
    /// </summary>
    public const int DefaultMaxBodyBytes = 1024 * 1024;

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

    /// <summary>Largest body accepted (default 1 MiB, at most 4 MiB); larger gets 413.</summary>
    [Range(1, MaxBodyBytesLimit)]
    public int MaxBodyBytes { get; set; } = DefaultMaxBodyBytes;

    /// <summary>Seconds sent in <c>Retry-After</c> when the queue cannot be reached (Braze honours it on 5XX).</summary>
    [Range(1, 3600)]
    public int StorageRetryAfterSeconds { get; set; } = 30;
}
