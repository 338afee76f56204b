using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Storage;
using BrazeFunctions.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace BrazeFunctions.IntegrationTests.Ingress;

/// <summary>The ingress function class, called as the Functions host would call it, against a real Azurite queue.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class WebhookIngressFunctionTests(AzuriteFixture azurite)
{
    private const string Secret = "s3cr3t-relay-shared-value";

    [Fact]
    public async Task Run_ValidWebhook_IsOnTheQueueByteForByteAndDecodesLikeTheTrigger()
    {
        var queue = NewQueueName();
        await using var host = await StartAsync(queue);
        // Odd spacing, unicode and escapes: the queue must carry exactly these bytes, not a re-serialisation.
        const string body = "{ \"user_id\" : \"u-42\",\n  \"event_properties\": {\"plan\":\"gold \\\"vip\\\" ✓ 🎉\", \"n\": 1.50} }";

        var (status, reply, _) = await PostAsync(host, "attribute-from-event", body,
            headers: new() { ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", ["Idempotency-Key"] = "order-7", [IngressOptionsSecretHeader] = Secret });

        Assert.Equal(StatusCodes.Status202Accepted, status);
        var id = reply.GetProperty("id").GetString();
        Assert.False(string.IsNullOrEmpty(id));

        var raw = await ReceiveRawAsync(queue);
        Assert.NotNull(raw);
        // Decode the way the queue trigger does with messageEncoding=base64: Base64 -> UTF-8 text.
        var text = Encoding.UTF8.GetString(Convert.FromBase64String(raw!));
        var envelope = EnvelopeCodec.Deserialize(text);
        Assert.Equal(id, envelope.Id);
        Assert.Equal("attribute-from-event", envelope.Route);
        Assert.Equal(WebhookEnvelope.CurrentVersion, envelope.Version);
        Assert.Equal(0, envelope.Attempt);
        Assert.Equal("order-7", envelope.IdempotencyKey);
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", envelope.CorrelationId);
        Assert.Equal(Encoding.UTF8.GetBytes(body), Encoding.UTF8.GetBytes(envelope.PayloadJson));
        // The posted bytes appear verbatim inside the decoded message.
        Assert.True(Convert.FromBase64String(raw!).AsSpan().IndexOf(Encoding.UTF8.GetBytes(body)) >= 0, "posted bytes not found verbatim in the queue message");
    }

    [Fact]
    public async Task Run_NoTraceparent_GetsAGeneratedW3CCorrelationId()
    {
        var queue = NewQueueName();
        await using var host = await StartAsync(queue);

        var (status, _, _) = await PostAsync(host, "attribute-from-event", "{\"user_id\":\"u1\"}", headers: new() { [IngressOptionsSecretHeader] = Secret });

        Assert.Equal(StatusCodes.Status202Accepted, status);
        var envelope = EnvelopeCodec.Deserialize(Encoding.UTF8.GetString(Convert.FromBase64String((await ReceiveRawAsync(queue))!)));
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$", envelope.CorrelationId);
    }

    public static TheoryData<string, string?, string, int, string> BadRequests => new()
    {
        { "attribute-from-event", "application/json", "", 400, "empty_body" },
        { "attribute-from-event", "application/json", "{\"a\":", 400, "invalid_json" },
        { "attribute-from-event", "application/json", "[1,2]", 400, "not_an_object" },
        { "attribute-from-event", "application/x-www-form-urlencoded", "a=1", 415, "unsupported_media_type" },
        { "attribute-from-event", "multipart/form-data; boundary=x", "--x--", 415, "unsupported_media_type" },
        { "no-such-route", "application/json", "{}", 404, "unknown_route" },
        { "attribute-from-event", "application/json", "{\"big\":\"" + new string('x', 2000) + "\"}", 413, "payload_too_large" },
        { "attribute-from-event", "application/json", "{\"user_id\":\"u1\", \"user_id\":\"u2\"}", 400, "duplicate_key" },
        { "attribute-from-event", "application/json", "{\"event_properties\":{\"plan\":\"\\ud800\"}}", 400, "invalid_unicode_escape" },
        { "attribute-from-event", "application/json; charset=utf-7", "{}", 415, "unsupported_media_type" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Run_BadInput_GetsItsStatusAndNothingIsQueued(string route, string? contentType, string body, int expectedStatus, string expectedError)
    {
        var queue = NewQueueName();
        await using var host = await StartAsync(queue, maxBodyBytes: 1000);

        var (status, reply, _) = await PostAsync(host, route, body, contentType, new() { [IngressOptionsSecretHeader] = Secret });

        Assert.Equal(expectedStatus, status);
        Assert.Equal(expectedError, reply.GetProperty("error").GetString());
        Assert.False(string.IsNullOrWhiteSpace(reply.GetProperty("message").GetString()));
        Assert.Equal(0, await CountMessagesAsync(queue));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-secret")]
    public async Task Run_MissingOrWrongSecret_Is401AndTheSecretIsNeverLogged(string? provided)
    {
        var queue = NewQueueName();
        await using var host = await StartAsync(queue);
        var headers = provided is null ? new Dictionary<string, string>() : new() { [IngressOptionsSecretHeader] = provided };

        var (status, reply, _) = await PostAsync(host, "attribute-from-event", "{\"user_id\":\"u1\"}", headers: headers);

        Assert.Equal(StatusCodes.Status401Unauthorized, status);
        Assert.Equal("invalid_secret", reply.GetProperty("error").GetString());
        Assert.Equal(0, await CountMessagesAsync(queue));
        Assert.DoesNotContain(Secret, host.AllLogText(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, reply.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_LargestBodyWithLongestIdempotencyKey_IsQueuedWithItsBodyInABlobAndDecodesLikeTheTrigger()
    {
        var queue = NewQueueName();
        await using var host = await StartAsync(queue);
        var body = "{\"user_id\":\"u1\",\"pad\":\"" + new string('x', IngressOptions.MaxBodyBytesLimit - 25) + "\"}";
        Assert.Equal(IngressOptions.MaxBodyBytesLimit, Encoding.UTF8.GetByteCount(body));
        var key = new string('<', WebhookRequestValidator.MaxIdempotencyKeyLength);

        var (status, reply, _) = await PostAsync(host, "attribute-from-event", body,
            headers: new() { ["Idempotency-Key"] = key, [IngressOptionsSecretHeader] = Secret });

        Assert.Equal(StatusCodes.Status202Accepted, status);
        var raw = await ReceiveRawAsync(queue);
        Assert.NotNull(raw);
        // Decoded as the queue trigger does (messageEncoding=base64): Base64, then UTF-8 text, then the envelope.
        var envelope = EnvelopeCodec.Deserialize(Encoding.UTF8.GetString(Convert.FromBase64String(raw!)));
        Assert.Equal(reply.GetProperty("id").GetString(), envelope.Id);
        Assert.Equal(key, envelope.IdempotencyKey);
        // Four MiB do not fit a queue message: the body is in its blob, named by the envelope id.
        Assert.Equal(envelope.Id, envelope.PayloadBlob);
        var blob = new Azure.Storage.Blobs.BlobContainerClient(azurite.ConnectionString, OutboxOptions.DefaultBodyContainer).GetBlobClient(envelope.Id);
        Assert.Equal(body, (await blob.DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task Run_NextSecretDuringRotation_IsQueued()
    {
        var queue = NewQueueName();
        await using var host = await RelayTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Outbox:QueueName"] = queue,
            ["Ingress:SharedSecret"] = Secret,
            ["Ingress:NextSharedSecret"] = "the-next-relay-secret",
        });

        var (next, _, _) = await PostAsync(host, "attribute-from-event", "{\"user_id\":\"u1\"}", headers: new() { [IngressOptionsSecretHeader] = "the-next-relay-secret" });
        var (current, _, _) = await PostAsync(host, "attribute-from-event", "{\"user_id\":\"u2\"}", headers: new() { [IngressOptionsSecretHeader] = Secret });

        Assert.Equal(StatusCodes.Status202Accepted, next);
        Assert.Equal(StatusCodes.Status202Accepted, current);
        Assert.Equal(2, await CountMessagesAsync(queue));
        Assert.DoesNotContain("the-next-relay-secret", host.AllLogText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_StorageDown_Is503WithRetryAfter()
    {
        await using var host = await RelayTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = AzuriteFixture.UnreachableConnectionString(FreePort.Next()),
            ["Outbox:QueueName"] = NewQueueName(),
            ["Outbox:StorageMaxRetries"] = "0",
            ["Ingress:StorageRetryAfterSeconds"] = "45",
        });

        var (status, reply, response) = await PostAsync(host, "attribute-from-event", "{\"user_id\":\"u1\"}");

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, status);
        Assert.Equal("storage_unavailable", reply.GetProperty("error").GetString());
        Assert.Equal("45", response.Headers.RetryAfter.ToString());
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 1003);
    }

    private const string IngressOptionsSecretHeader = "X-Relay-Secret";

    private static Task<(int Status, JsonElement Body, HttpResponse Response)> PostAsync(
        RelayTestHost host, string route, string body, string? contentType = "application/json", Dictionary<string, string>? headers = null) =>
        FunctionCall.PostWebhookAsync(host.Get<WebhookIngress>(), route, body, contentType, headers);

    private static string NewQueueName() => "outbox-" + Guid.NewGuid().ToString("N")[..12];

    private Task<RelayTestHost> StartAsync(string queue, int maxBodyBytes = IngressOptions.MaxBodyBytesLimit) =>
        RelayTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Outbox:QueueName"] = queue,
            ["Ingress:SharedSecret"] = Secret,
            ["Ingress:MaxBodyBytes"] = maxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

    private QueueClient RawQueue(string queue) =>
        new(azurite.ConnectionString, queue, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });

    private async Task<string?> ReceiveRawAsync(string queue)
    {
        var message = (await RawQueue(queue).ReceiveMessageAsync()).Value;
        return message?.MessageText;
    }

    private async Task<int> CountMessagesAsync(string queue)
    {
        var client = RawQueue(queue);
        if (!await client.ExistsAsync())
        {
            return 0;
        }

        return (await client.PeekMessagesAsync(32)).Value.Length;
    }
}
