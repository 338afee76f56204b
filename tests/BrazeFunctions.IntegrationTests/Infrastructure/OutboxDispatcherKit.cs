using BrazeFunctions.Core.Messages;

namespace BrazeFunctions.IntegrationTests.Infrastructure;

/// <summary>The payload and the dead-letter check that the dispatcher's tests share.</summary>
internal static class OutboxDispatcherKit
{
    internal const string UserPayload = "{\"user_id\":\"u-42\",\"plan\":\"gold\"}";

    internal static async Task<PoisonEntry> SingleDeadLetterAsync(DispatchRig rig)
    {
        var raw = Assert.Single(await rig.ReceiveAllAsync(rig.Poison));
        Assert.DoesNotContain(DispatchRig.ApiKey, raw.Body.ToString(), StringComparison.Ordinal);
        var leak = rig.Host.Logs.GetSnapshot().FirstOrDefault(r => (r.Message + string.Join(';', r.StructuredState?.Select(kv => kv.Key + "=" + kv.Value) ?? [])).Contains(DispatchRig.ApiKey, StringComparison.Ordinal));
        Assert.True(leak is null, leak?.Category + " " + leak?.Id + " " + leak?.Message);
        var entry = DeadLetterCodec.Parse(raw.Body.ToMemory());
        Assert.Equal(PoisonKind.DeadLetter, entry.Kind);
        return entry;
    }
}
