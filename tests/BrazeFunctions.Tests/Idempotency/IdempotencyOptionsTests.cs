using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Idempotency;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Tests.Idempotency;

public sealed class IdempotencyOptionsTests
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
    public void Validate_LeaseNotLongerThanHostLeasePlusRequestTimeout_Fails()
    {
        var result = Validator().Validate(null, new IdempotencyOptions { ClaimLease = TimeSpan.FromMinutes(10) });

        Assert.True(result.Failed);
        Assert.Contains("Idempotency:ClaimLease", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dispatch-123:user-9", false)]
    [InlineData("a/b", true)]
    [InlineData("a#b?c", true)]
    [InlineData("tab\there", true)]
    public void Keys_UnsafeCharacters_AreHashedAndThePartitionIsAHashPrefix(string key, bool hashed)
    {
        var (partition, row) = IdempotencyStore.Keys(RecordKind.Delivery, "counter-increment", key);

        Assert.Matches("^[0-9a-f]{2}$", partition);
        Assert.StartsWith("d|counter-increment|", row, StringComparison.Ordinal);
        Assert.Equal(hashed, row.Contains("sha256-", StringComparison.Ordinal));
        Assert.DoesNotContain('/', row);
        Assert.DoesNotContain('#', row);
    }

    [Fact]
    public void Keys_WebhookAndDeliveryRecords_NeverShareARow()
    {
        Assert.NotEqual(IdempotencyStore.Keys(RecordKind.Webhook, "r", "k").RowKey, IdempotencyStore.Keys(RecordKind.Delivery, "r", "k").RowKey);
    }

    private static IdempotencyOptionsValidator Validator() =>
        new(Options.Create(new DeliveryRetryOptions()), Options.Create(new BrazeOptions()));
}
