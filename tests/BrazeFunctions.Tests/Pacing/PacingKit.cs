using System.Diagnostics.Metrics;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Pacing;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.Tests.Pacing;

/// <summary>Answers, workspaces and a pacer on a fake clock for the pacing tests (the shared table is off: its tests run against Azurite).</summary>
internal static class PacingKit
{
    public static readonly DateTimeOffset Start = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

    public static readonly BrazeWorkspace Workspace = new("default", new Uri("https://rest.fra-01.braze.eu"), "key", null, null);

    public static PaceRequest Request(BrazeBucket bucket = BrazeBucket.UsersTrack, string? endpoint = null, BrazeWorkspace? workspace = null) =>
        new(workspace ?? Workspace, endpoint ?? EndpointOf(bucket), bucket);

    /// <summary>An answer at <paramref name="now"/> whose Date is <paramref name="now"/> and whose reset is <paramref name="resetInSeconds"/> away (epoch seconds).</summary>
    public static BrazeResponse Answer(DateTimeOffset now, int status, long? limit = 10, long? remaining = 9, int? resetInSeconds = 3, TimeSpan? retryAfter = null, string endpoint = BrazeEndpoints.UsersTrack)
    {
        var info = new RateLimitInfo(limit, remaining, resetInSeconds is { } seconds ? now.AddSeconds(seconds).ToUnixTimeSeconds() : null, retryAfter) { ServerDate = now, ObservedAt = now };
        return new BrazeResponse(endpoint, status, BrazeResponse.Classify(status), info, null, [], TimeSpan.Zero, null) { SentAt = now, ReceivedAt = now };
    }

    public static RelayMetrics Metrics(IMeterFactory? meters = null) =>
        new(meters ?? new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());

    public static string EndpointOf(BrazeBucket bucket) => bucket switch
    {
        BrazeBucket.UsersTrack => BrazeEndpoints.UsersTrack,
        BrazeBucket.Identity => BrazeEndpoints.UsersIdentify,
        BrazeBucket.Messaging or BrazeBucket.Broadcast => BrazeEndpoints.CanvasTriggerSend,
        BrazeBucket.Subscription => BrazeEndpoints.SubscriptionStatusSet,
        _ => "/other",
    };

    /// <summary>The pacer and its parts, wired as DI would, with every random draw fixed at one value.</summary>
    public sealed class Rig
    {
        public Rig(PacingOptions options, double random = 0, IMeterFactory? meters = null)
        {
            options.SharedPacing = false;
            Options = options;
            var wrapped = Microsoft.Extensions.Options.Options.Create(options);
            var metrics = Metrics(meters);
            var tables = new RelayTables(new ConfigurationBuilder().Build(), Microsoft.Extensions.Options.Options.Create(new OutboxOptions()));
            Store = new SharedPacingStore(tables, Time, wrapped, metrics, NullLogger<SharedPacingStore>.Instance);
            Credentials = new CredentialGate(Time, wrapped, Store, metrics, NullLogger<CredentialGate>.Instance);
            Jitter = new PaceJitter(new FixedRandom(random), wrapped);
            Pacer = new RateLimitPacer(Time, wrapped, Store, Credentials, Jitter, metrics, NullLogger<RateLimitPacer>.Instance);
        }

        public FakeTimeProvider Time { get; } = new(Start);

        public PacingOptions Options { get; }

        public SharedPacingStore Store { get; }

        public CredentialGate Credentials { get; }

        public PaceJitter Jitter { get; }

        public RateLimitPacer Pacer { get; }

        public DateTimeOffset Now => Time.GetUtcNow();

        public ValueTask<PaceLease> AcquireAsync(BrazeBucket bucket = BrazeBucket.UsersTrack) => Pacer.AcquireAsync(Request(bucket), CancellationToken.None);
    }

    public sealed class FixedRandom(double value) : IRandomSource
    {
        public double NextDouble() => value;
    }
}
