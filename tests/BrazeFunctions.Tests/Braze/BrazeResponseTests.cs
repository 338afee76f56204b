using BrazeFunctions.Core.Braze;

namespace BrazeFunctions.Tests.Braze;

public sealed class BrazeResponseTests
{
    [Theory]
    [InlineData(200, nameof(BrazeOutcomeKind.Success))]
    [InlineData(201, nameof(BrazeOutcomeKind.Success))]
    [InlineData(202, nameof(BrazeOutcomeKind.Success))]
    [InlineData(429, nameof(BrazeOutcomeKind.RateLimited))]
    [InlineData(408, nameof(BrazeOutcomeKind.Transient))]
    [InlineData(500, nameof(BrazeOutcomeKind.Transient))]
    [InlineData(502, nameof(BrazeOutcomeKind.Transient))]
    [InlineData(503, nameof(BrazeOutcomeKind.Transient))]
    [InlineData(504, nameof(BrazeOutcomeKind.Transient))]
    [InlineData(400, nameof(BrazeOutcomeKind.Permanent))]
    [InlineData(401, nameof(BrazeOutcomeKind.Permanent))]
    [InlineData(403, nameof(BrazeOutcomeKind.Permanent))]
    [InlineData(404, nameof(BrazeOutcomeKind.Permanent))]
    [InlineData(413, nameof(BrazeOutcomeKind.Permanent))]
    [InlineData(301, nameof(BrazeOutcomeKind.Permanent))]
    public void Classify_Status_GivesTheOutcome(int status, string expected)
    {
        Assert.Equal(Enum.Parse<BrazeOutcomeKind>(expected), BrazeResponse.Classify(status));
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
