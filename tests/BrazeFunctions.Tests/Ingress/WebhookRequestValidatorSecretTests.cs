using BrazeFunctions.Core.Ingress;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static BrazeFunctions.Tests.Ingress.WebhookRequestValidatorKit;

namespace BrazeFunctions.Tests.Ingress;

/// <summary>The shared secret: which header, current and next secret during a rotation, checked first, never echoed.</summary>
public sealed class WebhookRequestValidatorSecretTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("wrong")]
    [InlineData("the-shared-secret ")]
    public async Task ValidateAsync_SecretConfiguredAndHeaderMissingOrWrong_Is401WithoutEchoingIt(string? provided)
    {
        var request = Request("{}");
        if (provided is not null)
        {
            request.Headers["X-Relay-Secret"] = provided;
        }

        var (_, rejection) = await ValidateAsync(request, new IngressOptions { SharedSecret = "the-shared-secret" });

        Assert.Equal(StatusCodes.Status401Unauthorized, rejection?.StatusCode);
        Assert.DoesNotContain("the-shared-secret", rejection!.Body.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_SecretInACustomHeader_Passes()
    {
        var request = Request("{}");
        request.Headers["X-Braze-Relay"] = "the-shared-secret";

        var (_, rejection) = await ValidateAsync(request, new IngressOptions { SharedSecret = "the-shared-secret", SecretHeader = "X-Braze-Relay" });

        Assert.Null(rejection);
    }

    [Fact]
    public async Task ValidateAsync_SecretChecked_BeforeAnythingElseIsRevealed()
    {
        var (_, rejection) = await ValidateAsync(Request("{}"), new IngressOptions { SharedSecret = "x" }, route: "nope");

        Assert.Equal(StatusCodes.Status401Unauthorized, rejection?.StatusCode);
    }

    public static TheoryData<string?, string?, string?, bool, string> Rotation => new()
    {
        // current, next, header sent, accepted, secret counted
        { "old-secret", "new-secret", "old-secret", true, "current" },
        { "old-secret", "new-secret", "new-secret", true, "next" },
        { "old-secret", "new-secret", "other", false, "none" },
        { "old-secret", "new-secret", null, false, "none" },
        { "old-secret", "", "old-secret", true, "current" },
        { "old-secret", "", "new-secret", false, "none" },
        { null, "new-secret", "new-secret", true, "next" },
        { "", "new-secret", "old-secret", false, "none" },
        { "", "new-secret", null, false, "none" },
        { "", "new-secret", "", false, "none" },
    };

    [Theory]
    [MemberData(nameof(Rotation))]
    public async Task ValidateAsync_CurrentAndNextSecret_EitherPassesAndTheMatchIsCounted(string? current, string? next, string? sent, bool accepted, string counted)
    {
        var request = Request("{}");
        if (sent is not null)
        {
            request.Headers["X-Relay-Secret"] = sent;
        }

        var metrics = NewMetrics();
        using var matched = new MetricCollector<long>(metrics.Meter, "relay.ingress.secret_matched");

        var (webhook, rejection) = await ValidateAsync(request, new IngressOptions { SharedSecret = current, NextSharedSecret = next }, metrics: metrics);

        Assert.Equal(accepted, webhook is not null);
        Assert.Equal(accepted ? (int?)null : StatusCodes.Status401Unauthorized, rejection?.StatusCode);
        var measurement = Assert.Single(matched.GetMeasurementSnapshot());
        Assert.Equal(counted, measurement.Tags["secret"]);
        if (rejection is not null)
        {
            Assert.DoesNotContain("old-secret", rejection.Body.ToJsonString(), StringComparison.Ordinal);
            Assert.DoesNotContain("new-secret", rejection.Body.ToJsonString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ValidateAsync_NoSecretConfigured_PassesAndCountsNothing()
    {
        var metrics = NewMetrics();
        using var matched = new MetricCollector<long>(metrics.Meter, "relay.ingress.secret_matched");

        var (webhook, _) = await ValidateAsync(Request("{}"), new IngressOptions(), metrics: metrics);

        Assert.NotNull(webhook);
        Assert.Empty(matched.GetMeasurementSnapshot());
    }
}
