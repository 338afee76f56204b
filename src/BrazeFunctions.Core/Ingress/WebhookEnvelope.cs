namespace BrazeFunctions.Core.Ingress;

/// <summary>
/// What travels on the outbox queue: one accepted webhook and the facts about its receipt.
/// <see cref="PayloadJson"/> is the request body exactly as Braze sent it (a JSON object, UTF-8).
/// </summary>
/// <param name="Version">Envelope schema version; readers reject versions they do not know.</param>
/// <param name="Id">Message id, assigned by the ingress and returned to Braze in the 202 body.</param>
/// <param name="Route">The template route the webhook was posted to.</param>
/// <param name="ReceivedAt">When the ingress accepted the webhook.</param>
/// <param name="PayloadJson">The raw request body.</param>
/// <param name="CorrelationId">W3C traceparent of the ingress request, tying the delivery to it in Application Insights.</param>
/// <param name="IdempotencyKey">The caller's <c>Idempotency-Key</c> header, when it sent one.</param>
/// <param name="Attempt">Delivery attempts made so far by the relay's own retry schedule (0 when freshly received).</param>
public sealed record WebhookEnvelope(
    int Version,
    string Id,
    string Route,
    DateTimeOffset ReceivedAt,
    string PayloadJson,
    string? CorrelationId,
    string? IdempotencyKey,
    int Attempt)
{
    public const int CurrentVersion = 1;
}
