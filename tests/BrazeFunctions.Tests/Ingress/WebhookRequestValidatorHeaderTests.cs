using BrazeFunctions.Core.Ingress;
using Microsoft.AspNetCore.Http;
using static BrazeFunctions.Tests.Ingress.WebhookRequestValidatorKit;

namespace BrazeFunctions.Tests.Ingress;

/// <summary>The Idempotency-Key and traceparent headers: carried when well formed, refused or ignored when not.</summary>
public sealed class WebhookRequestValidatorHeaderTests
{
    [Fact]
    public async Task ValidateAsync_IdempotencyKeyAndTraceparent_AreCarried()
    {
        var request = Request("{}");
        request.Headers["Idempotency-Key"] = "campaign-1:user-2";
        request.Headers["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

        var (webhook, _) = await ValidateAsync(request);

        Assert.Equal("campaign-1:user-2", webhook?.IdempotencyKey);
        Assert.Equal("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", webhook?.TraceParent);
    }

    [Fact]
    public async Task ValidateAsync_MalformedTraceparent_IsIgnored()
    {
        var request = Request("{}");
        request.Headers["traceparent"] = "not-a-traceparent";

        var (webhook, rejection) = await ValidateAsync(request);

        Assert.Null(rejection);
        Assert.Null(webhook?.TraceParent);
    }

    [Theory]
    [InlineData("key\twith-tab")]
    [InlineData("clé")]
    public async Task ValidateAsync_IdempotencyKeyNotPrintableAscii_Is400(string key)
    {
        var request = Request("{}");
        request.Headers["Idempotency-Key"] = key;

        var (_, rejection) = await ValidateAsync(request);

        Assert.Equal("invalid_idempotency_key", rejection?.Error);
    }

    [Fact]
    public async Task ValidateAsync_IdempotencyKeyTooLong_Is400()
    {
        var request = Request("{}");
        request.Headers["Idempotency-Key"] = new string('k', WebhookRequestValidator.MaxIdempotencyKeyLength + 1);

        var (_, rejection) = await ValidateAsync(request);

        Assert.Equal(StatusCodes.Status400BadRequest, rejection?.StatusCode);
        Assert.Equal("invalid_idempotency_key", rejection?.Error);
    }
}
