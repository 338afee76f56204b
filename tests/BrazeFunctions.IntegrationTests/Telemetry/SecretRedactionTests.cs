using BrazeFunctions.Telemetry;
using Microsoft.Extensions.Configuration;

namespace BrazeFunctions.IntegrationTests.Telemetry;

/// <summary>What SecretRedaction takes out of a span's text, and what it leaves alone.</summary>
public sealed class SecretRedactionTests
{
    private static readonly SecretRedaction Redaction = new(["configured-braze-key-31c8e0", "short"]);

    [Theory]
    [InlineData(null, "Authorization: Bearer eyJhbGciOi.J9x-y_z", "Authorization: Bearer REDACTED")]
    [InlineData(null, "Authorization: SharedKey devstoreaccount1:q0r9+s/T=", "Authorization: SharedKey REDACTED")]
    [InlineData(null, "basic dXNlcjpwYXNz", "basic REDACTED")]
    [InlineData(null, "AccountName=a;AccountKey=Eby8vd+M0/2x==;EndpointSuffix=core.windows.net", "AccountName=a;AccountKey=REDACTED;EndpointSuffix=core.windows.net")]
    [InlineData(null, "SharedAccessSignature=sv=2024&sig=AbC%2Bd", "SharedAccessSignature=REDACTED&sig=REDACTED")]
    [InlineData(null, "GET https://st.queue.core.windows.net/q?sv=2024&sig=AbC%2Bd&se=1 failed", "GET https://st.queue.core.windows.net/q?sv=2024&sig=REDACTED&se=1 failed")]
    [InlineData(null, "POST /api/hooks/r?code=k3y failed", "POST /api/hooks/r?code=REDACTED failed")]
    [InlineData(null, "the key configured-braze-key-31c8e0 was refused", "the key REDACTED was refused")]
    [InlineData("url.full", "https://h/p?token=abc&x=1#f", "https://h/p?token=REDACTED&x=REDACTED#f")]
    [InlineData("http.target", "/p?token=abc", "/p?token=REDACTED")]
    [InlineData("url.query", "token=abc&x=", "token=REDACTED&x=")]
    public void Redact_TextWithASecret_ReplacesOnlyTheSecret(string? tag, string text, string expected) =>
        Assert.Equal(expected, Redaction.Redact(tag, text));

    [Theory]
    [InlineData(null, "https://h/p?token=abc")] // query values go only in URL tags; other text keeps them unless they are credentials
    [InlineData(null, "status code=401, short answer")] // "short" is below the length a configured secret must have
    [InlineData("url.path", "/users/track")]
    [InlineData("url.full", "https://rest.fra-02.braze.eu/users/track")]
    [InlineData(null, "Bearer REDACTED")]
    public void Redact_NothingToRedact_ReturnsTheSameText(string? tag, string text) =>
        Assert.Same(text, Redaction.Redact(tag, text));

    [Fact]
    public void FromConfiguration_BrazeKeysAndIngressSecrets_AreRedactedWherever()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Braze:ApiKey"] = "default-workspace-key-aa11",
            ["Braze:Workspaces:eu:ApiKey"] = "eu-workspace-key-bb22",
            ["Ingress:SharedSecret"] = "ingress-secret-cc33",
            ["Ingress:NextSharedSecret"] = "ingress-next-secret-dd44",
            ["Outbox:QueueName"] = "braze-outbox",
        }).Build();
        var redaction = SecretRedaction.FromConfiguration(configuration);

        Assert.Equal(
            "REDACTED REDACTED REDACTED REDACTED braze-outbox",
            redaction.Redact(null, "default-workspace-key-aa11 eu-workspace-key-bb22 ingress-secret-cc33 ingress-next-secret-dd44 braze-outbox"));
    }
}
