using BrazeFunctions.Core.Templates;
using Fluid;
using Fluid.Values;

namespace BrazeFunctions.Tests.Templates;

/// <summary>Only <c>raw</c> may hand the writer text that bypasses the JSON-safe encoder.</summary>
public sealed class FilterSafetyTests
{
    [Fact]
    public async Task EveryFilter_ExceptRaw_ReturnsEncodedOrPositionCheckedOutput()
    {
        var options = BrazeLiquid.CreateOptions(new TemplateCatalogOptions(), TimeProvider.System);
        var context = new TemplateContext(options);
        var hostile = StringValue.Create(",1,\"}]");
        var unsafeFilters = new List<string>();

        foreach (var (name, filter) in options.Filters)
        {
            FluidValue result;
            try
            {
                result = await filter(hostile, FilterArguments.Empty, context);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                continue;
            }

            if (name != "raw" && result is StringValue { Encode: false })
            {
                unsafeFilters.Add(name);
            }
        }

        Assert.Empty(unsafeFilters);
    }

    [Fact]
    public void Render_HtmlEscapeFilterWithBackslashAndNewline_StaysInsideTheString()
    {
        var body = new TemplateTestKit().RenderBody("""{"attributes":[{"external_id":"u","a":"{{ v | escape }}","b":"{{ w }}"}]}""", """{"v":"<b>\\\n\"","w":"x"}""");

        Assert.Equal("&lt;b&gt;\\\n&quot;", body.GetProperty("attributes")[0].GetProperty("a").GetString());
        Assert.Equal("x", body.GetProperty("attributes")[0].GetProperty("b").GetString());
    }
}
