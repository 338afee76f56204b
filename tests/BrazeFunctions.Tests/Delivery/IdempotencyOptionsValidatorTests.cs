using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.Core.Pacing;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Tests.Delivery;

public sealed class IdempotencyOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Succeed()
    {
        Assert.True(Validator().Validate(null, new IdempotencyOptions()).Succeeded);
    }

    [Fact]
    public void Validate_WindowShorterThanMessageAgePlusSchedule_FailsNamingBoth()
    {
        var result = Validator().Validate(null, new IdempotencyOptions { Window = TimeSpan.FromDays(2) });

        Assert.True(result.Failed);
        Assert.Contains("Idempotency:Window", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Dispatch:MaxMessageAge", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void LongestHold_Defaults_AreThreeShortWaitsOneRequestAndTwoStorageWrites()
    {
        // 3 x 10 s + 30 s + 2 x (3 tries x 10 s): what a live sender can go without writing its claim.
        Assert.Equal(TimeSpan.FromSeconds(120), IdempotencyOptionsValidator.LongestHold(new BrazeOptions(), new PacingOptions(), new OutboxOptions()));
    }

    [Fact]
    public void Validate_LeaseNotLongerThanTheLongestHold_FailsNamingTheSettings()
    {
        var braze = new BrazeOptions { RequestTimeout = TimeSpan.FromMinutes(5) };
        var hold = IdempotencyOptionsValidator.LongestHold(braze, new PacingOptions(), new OutboxOptions());

        var result = Validator(braze).Validate(null, new IdempotencyOptions { ClaimLease = hold });

        Assert.True(result.Failed);
        Assert.Contains("Idempotency:ClaimLease", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Braze:RequestTimeout", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(Validator(braze).Validate(null, new IdempotencyOptions { ClaimLease = hold + TimeSpan.FromSeconds(1) }).Succeeded);
    }

    private static IdempotencyOptionsValidator Validator(BrazeOptions? braze = null) =>
        new(Options.Create(new DeliveryRetryOptions()), Options.Create(braze ?? new BrazeOptions()), Options.Create(new PacingOptions()), Options.Create(new OutboxOptions()));
}
