using BrazeFunctions.Core.Braze;

namespace BrazeFunctions.Tests.Braze;

public sealed class BrazeResponseTests
{
    [Theory]
    [InlineData(200, BrazeOutcomeKind.Success)]
    [InlineData(201, BrazeOutcomeKind.Success)]
    [InlineData(202, BrazeOutcomeKind.Success)]
    [InlineData(429, BrazeOutcomeKind.RateLimited)]
    [InlineData(408, BrazeOutcomeKind.Transient)]
    [InlineData(500, BrazeOutcomeKind.Transient)]
    [InlineData(502, BrazeOutcomeKind.Transient)]
    [InlineData(503, BrazeOutcomeKind.Transient)]
    [InlineData(504, BrazeOutcomeKind.Transient)]
    [InlineData(400, BrazeOutcomeKind.Permanent)]
    [InlineData(401, BrazeOutcomeKind.Permanent)]
    [InlineData(403, BrazeOutcomeKind.Permanent)]
    [InlineData(404, BrazeOutcomeKind.Permanent)]
    [InlineData(413, BrazeOutcomeKind.Permanent)]
    [InlineData(301, BrazeOutcomeKind.Permanent)]
    public void Classify_Status_GivesTheOutcome(int status, BrazeOutcomeKind expected)
    {
        Assert.Equal(expected, BrazeResponse.Classify(status));
    }

    [Theory]
    [InlineData(HttpRequestError.Unknown, "connection_failed")]
    [InlineData(HttpRequestError.ConnectionError, "connection_error")]
    [InlineData(HttpRequestError.ResponseEnded, "response_ended")]
    [InlineData(HttpRequestError.NameResolutionError, "name_resolution_error")]
    public void TransportError_Names_AreSnakeCaseForTheStatusTag(HttpRequestError error, string expected)
    {
        Assert.Equal(expected, BrazeClient.TransportError(error));
    }
}
