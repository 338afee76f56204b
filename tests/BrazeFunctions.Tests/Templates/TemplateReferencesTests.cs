using BrazeFunctions.Core.Templates;

namespace BrazeFunctions.Tests.Templates;

public sealed class TemplateReferencesTests
{
    [Fact]
    public void Of_ShippedAttributeFromEvent_ReadsUserDispatchAndTheEventProperty()
    {
        var template = TemplateLoader.LoadFile(Path.Combine(TemplateTestKit.ShippedTemplatesDirectory, "attribute-from-event.liquid"));

        var paths = Paths(template);

        Assert.Equal(["dispatch_id", "event_properties.plan", "user_id"], paths);
    }

    [Fact]
    public void Of_PayloadIndexerTopLevelNameAndContains_AreAllPayloadFields()
    {
        var template = TemplateTestKit.Template(
            "{% if payload contains 'opt_in' %}{% endif %}{\"attributes\":[{\"external_id\":\"{{ ${user_id} }}\",\"plan\":\"{{ payload.plan }}\",\"city\":\"{{ address.city }}\"}]}");

        Assert.Equal(["address.city", "opt_in", "plan", "user_id"], Paths(template));
    }

    [Fact]
    public void Of_AssignedLoopAndRelayVariables_AreNotPayloadFields()
    {
        var template = TemplateTestKit.Template(
            "{% assign n = count | plus: 1 %}{% capture c %}x{% endcapture %}" +
            "{\"attributes\":[{% for item in items %}{\"external_id\":\"{{ item.id }}\",\"n\":\"{{ n }}{{ c }}{{ forloop.index }}{{ route }}{{ message_id }}{{ received_at }}\"}{% endfor %}]}");

        Assert.Equal(["count", "items"], Paths(template));
    }

    [Fact]
    public void Of_ComputedKeyOrArrayIndex_StopsThePath()
    {
        var template = TemplateTestKit.Template("{\"attributes\":[{\"external_id\":\"{{ users[0].id }}\",\"x\":\"{{ props[key] }}\"}]}");

        Assert.Equal(["key", "props", "users"], Paths(template));
    }

    private static List<string> Paths(WebhookTemplate template) =>
        [.. TemplateReferences.Of(template).Select(p => string.Join('.', p)).Order(StringComparer.Ordinal)];
}
