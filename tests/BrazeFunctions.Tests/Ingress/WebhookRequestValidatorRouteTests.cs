using Microsoft.AspNetCore.Http;
using static BrazeFunctions.Tests.Ingress.WebhookRequestValidatorKit;

namespace BrazeFunctions.Tests.Ingress;

/// <summary>The route: unknown routes get a 404 listing the known ones; other spellings resolve to the catalog's.</summary>
public sealed class WebhookRequestValidatorRouteTests
{
    [Fact]
    public async Task ValidateAsync_UnknownRoute_Is404ListingTheKnownRoutes()
    {
        var (_, rejection) = await ValidateAsync(Request("{}"), route: "nope");

        Assert.Equal(StatusCodes.Status404NotFound, rejection?.StatusCode);
        Assert.Contains("attribute-from-event, trigger-canvas", Message(rejection), StringComparison.Ordinal);
        Assert.Equal(2, rejection?.Body["knownRoutes"]?.AsArray().Count);
    }

    [Fact]
    public async Task ValidateAsync_RouteInOtherCase_ResolvesToTheCatalogSpelling()
    {
        var (webhook, _) = await ValidateAsync(Request("{}"), route: "Trigger-Canvas");

        Assert.Equal("trigger-canvas", webhook?.Route);
    }
}
