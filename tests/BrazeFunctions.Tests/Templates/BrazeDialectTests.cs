using BrazeFunctions.Core.Templates;

namespace BrazeFunctions.Tests.Templates;

public sealed class BrazeDialectTests
{
    [Theory]
    [InlineData("{{${user_id}}}", "{{payload[\"user_id\"]}}")]
    [InlineData("{{ ${first name} }}", "{{ payload[\"first name\"] }}")]
    [InlineData("{{ ${it's} }}", "{{ payload[\"it's\"] }}")]
    [InlineData("{{ ${say \"hi\"} }}", "{{ payload['say \"hi\"'] }}")]
    [InlineData("{{event_properties.${plan}}}", "{{event_properties[\"plan\"]}}")]
    [InlineData("{% assign n = {{custom_attribute.${count}}} | plus: 1 %}", "{% assign n =   custom_attribute[\"count\"]   | plus: 1 %}")]
    [InlineData("{% abort_message('why') %}", "{% abort_message 'why'  %}")]
    [InlineData("{% abort_message() %}", "{% abort_message '' %}")]
    [InlineData("{% abort_message %}", "{% abort_message  ''%}")]
    [InlineData("text ${not_in_a_tag} {}", "text ${not_in_a_tag} {}")]
    [InlineData("{% raw %}{{ ${x} }}{% endraw %}", "{% raw %}{{ ${x} }}{% endraw %}")]
    [InlineData("{{ '${quoted}' }}", "{{ '${quoted}' }}")]
    public void Translate_BrazeSyntax_BecomesLiquid(string source, string expected) =>
        Assert.Equal(expected, BrazeDialect.Translate(source).Text);

    [Fact]
    public void ToOriginalPosition_AfterLongerReplacement_PointsAtTheAuthorsText()
    {
        var translated = BrazeDialect.Translate("ab {{ ${x} }} cd\n{{ ${y} | z }}");

        // "cd" on line 1: original column 15, translated column 23.
        Assert.Equal((1, 15), translated.ToOriginalPosition(1, 23));
        // Inside the replacement of ${y}: maps to its start.
        Assert.Equal((2, 4), translated.ToOriginalPosition(2, 8));
        Assert.Equal((2, 11), translated.ToOriginalPosition(2, 19));
    }
}
