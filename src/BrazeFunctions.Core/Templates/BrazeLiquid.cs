using System.Globalization;
using Fluid;
using Fluid.Values;

namespace BrazeFunctions.Core.Templates;

/// <summary>The one Fluid parser of the relay (parsers are thread-safe and costly to build) and its template options.</summary>
internal static class BrazeLiquid
{
    public static FluidParser Parser { get; } = CreateParser();

    public static TemplateOptions CreateOptions(TemplateCatalogOptions limits, TimeProvider timeProvider)
    {
        var options = new TemplateOptions
        {
            MaxSteps = limits.MaxSteps,
            MaxRecursion = limits.MaxRecursion,
            CultureInfo = CultureInfo.InvariantCulture,
            TimeZone = TimeZoneInfo.Utc,
            Now = timeProvider.GetUtcNow,
        };
        BrazeFilters.Register(options.Filters);
        EncodeFilterOutputs(options.Filters);
        return options;
    }

    /// <summary>
    /// Some Fluid filters (escape, escape_once) mark their output as already encoded for HTML, which would let it past
    /// the JSON-safe encoder; only <c>raw</c> may do that, so every other filter's output is encoded again.
    /// </summary>
    private static void EncodeFilterOutputs(FilterCollection filters)
    {
        foreach (var (name, filter) in filters.ToList())
        {
            if (name == "raw")
            {
                continue;
            }

            filters.AddFilter(name, (input, arguments, context) =>
            {
                var pending = filter(input, arguments, context);
                return pending.IsCompletedSuccessfully ? new ValueTask<FluidValue>(Encoded(pending.Result)) : Await(pending);
            });
        }

        static async ValueTask<FluidValue> Await(ValueTask<FluidValue> pending) => Encoded(await pending);

        static FluidValue Encoded(FluidValue value) => value is StringValue { Encode: false } text ? StringValue.Create(text.ToStringValue()) : value;
    }

    private static FluidParser CreateParser()
    {
        var parser = new FluidParser();
        parser.RegisterExpressionTag("abort_message", static async (reason, _, _, context) =>
        {
            var value = await reason.EvaluateAsync(context);
            throw new AbortMessageException(value.ToStringValue());
        });
        return parser;
    }
}
