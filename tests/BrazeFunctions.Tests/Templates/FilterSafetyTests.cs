using BrazeFunctions.Core.Templates;
using Fluid;
using Fluid.Values;

namespace BrazeFunctions.Tests.Templates;

/// <summary>Only <c>raw</c> may hand the writer text that bypasses the JSON-safe encoder.</summary>
public sealed class FilterSafetyTests
{
    /// <summary>
    /// Every filter is called with hostile input (plain, Base64 and JSON-encoded) and each of these argument lists. A filter that throws for one list is
    /// still checked with the others, and a filter that throws for all of them fails the test: none is skipped.
    /// </summary>
    [Fact]
    public async Task EveryFilter_ExceptRaw_ReturnsEncodedOrPositionCheckedOutput()
    {
        var options = BrazeLiquid.CreateOptions(new TemplateCatalogOptions(), TimeProvider.System);
        var context = new TemplateContext(options);
        var hostile = StringValue.Create(",1,\"}]");

        // Decoding filters need input in their format; it decodes to the same hostile text.
        FluidValue[] inputs =
        [
            hostile,
            StringValue.Create(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(hostile.ToStringValue()))),
            StringValue.Create(System.Text.Json.JsonSerializer.Serialize(new[] { hostile.ToStringValue() })),
        ];
        FilterArguments[] argumentLists =
        [
            FilterArguments.Empty,
            new(hostile),
            new(hostile, hostile),
            new(NumberValue.Create(2)),
            new(NumberValue.Create(2), NumberValue.Create(2)),
            new(new ArrayValue([hostile])),
        ];
        var unsafeFilters = new List<string>();
        var neverChecked = new List<string>();

        foreach (var (name, filter) in options.Filters)
        {
            var checkedOnce = false;
            foreach (var (input, arguments) in inputs.SelectMany(i => argumentLists.Select(a => (i, a))))
            {
                FluidValue result;
                try
                {
                    result = await filter(input, arguments, context);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // This argument list does not suit the filter; the render would fail, writing nothing. The others check it.
                    continue;
                }

                checkedOnce = true;
                if (name != "raw" && Unsafe(result))
                {
                    unsafeFilters.Add(name);
                }
            }

            if (!checkedOnce)
            {
                neverChecked.Add(name);
            }
        }

        Assert.Empty(unsafeFilters);
        Assert.Empty(neverChecked);
    }

    private static bool Unsafe(FluidValue value) => value switch
    {
        StringValue { Encode: false } => true,
        ArrayValue array => array.Values.Any(Unsafe),
        _ => false,
    };

    [Fact]
    public void Render_HtmlEscapeFilterWithBackslashAndNewline_StaysInsideTheString()
    {
        var body = new TemplateTestKit().RenderBody("""{"attributes":[{"external_id":"u","a":"{{ v | escape }}","b":"{{ w }}"}]}""", """{"v":"<b>\\\n\"","w":"x"}""");

        Assert.Equal("&lt;b&gt;\\\n&quot;", body.GetProperty("attributes")[0].GetProperty("a").GetString());
        Assert.Equal("x", body.GetProperty("attributes")[0].GetProperty("b").GetString());
    }
}
