using System.Text;
using Azure.Storage.Queues;
using BrazeFunctions.Core.Messages;

namespace BrazeFunctions.IntegrationTests.Infrastructure;

/// <summary>What can land on a poison queue besides the relay's own dead letters, written the way it would arrive.</summary>
internal static class PoisonQueueKit
{
    /// <summary>Garbage, a truncated envelope, an envelope with a field of the wrong kind, a huge one and plain (not Base64) text.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> SendUnreadableAsync(DispatchRig rig)
    {
        var good = Encoding.UTF8.GetString(EnvelopeCodec.Serialize(rig.Envelope("{\"user_id\":\"u-x\"}")));
        var messages = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["garbage"] = "this is not json at all",
            ["truncated"] = good[..(good.Length / 2)],
            ["wrong-kind"] = good.Replace("\"attempt\":0", "\"attempt\":\"zero\"", StringComparison.Ordinal),
            // Each quote becomes an escape inside a dead letter's rawMessage: too large to rewrite with a reason.
            ["huge"] = new string('"', 40_000),
        };
        await rig.Poison.CreateIfNotExistsAsync();
        foreach (var text in messages.Values)
        {
            await rig.Poison.SendMessageAsync(new BinaryData(Encoding.UTF8.GetBytes(text)));
        }

        const string plain = "{\"written\": \"by another tool, without Base64\"}";
        await new QueueClient(rig.ConnectionString, rig.Queue + "-poison").SendMessageAsync(plain);
        messages["plain"] = plain;
        return messages;
    }

    /// <summary>A dead letter as the dispatcher writes it (never expiring), with the given reason code and workspace.</summary>
    public static async Task<WebhookEnvelope> SendDeadLetterAsync(DispatchRig rig, string code, string? workspace = null, string route = "attribute-from-event")
    {
        var envelope = rig.Envelope("{\"user_id\":\"u-" + Guid.NewGuid().ToString("N")[..6] + "\"}", attempt: 2, route: route);
        var reason = new DeadLetterReason(code, null, null, null, "/users/track", envelope.Route, envelope.Id, 2, envelope.ReceivedAt, rig.Time.GetUtcNow(), envelope.CorrelationId)
        {
            Workspace = workspace,
        };
        await rig.Poison.CreateIfNotExistsAsync();
        await rig.Poison.SendMessageAsync(new BinaryData(DeadLetterCodec.Serialize(reason, envelope, null)), null, TimeSpan.FromSeconds(-1));
        return envelope;
    }
}
