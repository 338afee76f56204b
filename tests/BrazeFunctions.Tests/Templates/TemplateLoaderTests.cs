using BrazeFunctions.Core.Templates;

namespace BrazeFunctions.Tests.Templates;

public sealed class TemplateLoaderTests
{
    private const string Header = "---\nendpoint: /users/track\ndescription: d\n---\n";

    [Fact]
    public void Load_ValidTemplate_ReadsFrontMatter()
    {
        var template = TemplateLoader.Load("r", "r.liquid", "---\r\nendpoint: /canvas/trigger/send\r\ndescription: 'It''s a test'\r\nidempotency_key: \"{{ ${id} }}\"\r\n---\r\n{}");

        Assert.Equal("/canvas/trigger/send", template.Endpoint);
        Assert.Equal("It's a test", template.Description);
        Assert.NotNull(template.IdempotencyKey);
    }

    [Theory]
    [InlineData("{}", 1, 1, "must start with a front matter block")]
    [InlineData("---\nendpoint: /users/track\n{}", 1, 1, "is not closed")]
    [InlineData("---\ndescription: d\n---\n{}", 1, 1, "has no 'endpoint'")]
    [InlineData("---\nendpoint:   /users/delete\ndescription: d\n---\n{}", 2, 13, "endpoint '/users/delete' is not allowed")]
    [InlineData("---\nendpoint: /users/track\n---\n{}", 1, 1, "has no 'description'")]
    [InlineData("---\nendpoint: /users/track\ndescription: d\nmethod: GET\n---\n{}", 4, 1, "unknown front matter key 'method'")]
    [InlineData("---\nendpoint: /users/track\ndescription: d\n---\n  \n", 5, 1, "has no body")]
    [InlineData("---\nendpoint: /users/track\ndescription: d\nidempotency_key: \"{{ x | }}\"\n---\n{}", 4, 25, "An identifier was expected after the '|' sign")]
    public void Load_BrokenFrontMatter_ReportsLineAndColumn(string text, int line, int column, string problem)
    {
        var ex = Assert.Throws<TemplateLoadException>(() => TemplateLoader.Load("r", "r.liquid", text));

        Assert.Equal((line, column), (ex.Line, ex.Column));
        Assert.Contains(problem, ex.Problem, StringComparison.Ordinal);
        Assert.StartsWith($"r.liquid({line},{column}): ", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    // The ${...} rewrite makes the translated line longer; the column must still point at the author's text.
    [InlineData("{\"a\": \"{{ ${user_id} | }}\"}", 5, 23, "An identifier was expected after the '|' sign")]
    [InlineData("{\n  \"a\": \"{{ event_properties.${plan} | nope: }}\"\n}", 6, 43, "")]
    [InlineData("{\n{% if x %}\n", 7, 1, "'{% endif %}' was expected")]
    [InlineData("{\"a\": \"{{ ${user_id\n}}\"}", 5, 11, "'}' was expected to close this ${...} reference")]
    [InlineData("{\"a\": \"{{ ${} }}\"}", 5, 11, "has no name")]
    [InlineData("{\"a\": \"{{ x }\"}", 5, 8, "'}}' was expected to close this output")]
    [InlineData("{% foo %}", 5, 7, "Unknown tag 'foo'")]
    public void Load_BrokenBody_ReportsOriginalLineAndColumn(string body, int line, int column, string problem)
    {
        var ex = Assert.Throws<TemplateLoadException>(() => TemplateLoader.Load("r", "r.liquid", Header + body));

        Assert.Equal((line, column), (ex.Line, ex.Column));
        Assert.Contains(problem, ex.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"a\": \"{{ name | upcse }}\"}", 5, 18, "unknown filter 'upcse' (Braze would refuse this template); did you mean 'upcase'?")]
    [InlineData("{\"a\": \"{{ name | frobnicate }}\"}", 5, 18, "unknown filter 'frobnicate' (Braze would refuse this template)")]
    [InlineData("{\n{% assign n = ${count} | plusx: 1 %}", 6, 26, "unknown filter 'plusx'")]
    [InlineData("{% liquid\nassign x = y | nope\n%}", 6, 16, "unknown filter 'nope'")]
    [InlineData("{\"a\": \"{{ x | upcase | lstrip }}\"}", 5, 24, "Braze does not support the 'lstrip' filter; use 'strip'")]
    [InlineData("{\"a\": \"{{ x | money_with_currency }}\"}", 5, 15, "Braze does not support the 'money_with_currency' filter")]
    [InlineData("{\"a\": \"{{ x | json }}\"}", 5, 15, "unknown filter 'json'")]
    public void Load_UnknownOrRefusedFilter_FailsWithFileLineAndColumn(string body, int line, int column, string problem)
    {
        var ex = Assert.Throws<TemplateLoadException>(() => TemplateLoader.Load("r", "templates/r.liquid", Header + body));

        Assert.Equal((line, column), (ex.Line, ex.Column));
        Assert.Contains(problem, ex.Problem, StringComparison.Ordinal);
        Assert.StartsWith($"templates/r.liquid({line},{column}): ", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{% connected_content https://example.com/api :save r %}{}", 5, 1, "'connected_content' is a Braze-only tag that cannot work in the relay")]
    [InlineData("{\n  \"f\": \"{{content_blocks.${footer}}}\"\n}", 6, 9, "'content_blocks' is a Braze-only reference")]
    [InlineData("{% catalog_items games 1234 %}{}", 5, 1, "'catalog_items' is a Braze-only tag")]
    [InlineData("{\"c\": \"{% promotion('spring') %}\"}", 5, 8, "promotion codes")]
    public void Load_BrazeOnlyTag_IsRefusedWithPosition(string body, int line, int column, string problem)
    {
        var ex = Assert.Throws<TemplateLoadException>(() => TemplateLoader.Load("r", "templates/r.liquid", Header + body));

        Assert.Equal((line, column), (ex.Line, ex.Column));
        Assert.Contains(problem, ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownFilterInIdempotencyKey_ReportsTheFrontMatterPosition()
    {
        var ex = Assert.Throws<TemplateLoadException>(() => TemplateLoader.Load("r", "r.liquid", "---\nendpoint: /users/track\ndescription: d\nidempotency_key: \"{{ a | upcse }}\"\n---\n{}"));

        Assert.Equal((4, 26), (ex.Line, ex.Column));
        Assert.Contains("unknown filter 'upcse'", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void FilterCatalog_EverySupportedFilter_IsRegisteredAndNothingElse()
    {
        var options = BrazeLiquid.CreateOptions(new TemplateCatalogOptions(), TimeProvider.System);
        var registered = options.Filters.Select(f => f.Key).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(BrazeFilterCatalog.Standard.Concat(BrazeFilterCatalog.Braze).Order(StringComparer.Ordinal), registered);
        Assert.DoesNotContain(registered, BrazeFilterCatalog.Refused.ContainsKey);
    }

    [Theory]
    [InlineData("Upper")]
    [InlineData("has space")]
    [InlineData("-dash")]
    public void Load_InvalidRouteName_Fails(string route)
    {
        var ex = Assert.Throws<TemplateLoadException>(() => TemplateLoader.Load(route, route + ".liquid", Header + "{}"));

        Assert.Contains("is not a valid route name", ex.Problem, StringComparison.Ordinal);
    }
}
