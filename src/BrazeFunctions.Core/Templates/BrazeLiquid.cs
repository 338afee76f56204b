using System.Globalization;
using Fluid;
using Fluid.Ast;
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
        RubyFilters.Register(options.Filters);
        BrazeFilters.Register(options.Filters);
        var raw = options.Filters.TryGetValue("raw", out var fluidRaw) ? fluidRaw : throw new InvalidOperationException("Fluid has no 'raw' filter");
        options.Filters.AddFilter("raw", (input, arguments, context) => input is JsonTextValue { Kind: JsonTextKind.EscapedText } escaped
            ? new ValueTask<FluidValue>(new StringValue(JsonSafeEncoder.EscapeForString(escaped.ToStringValue()), encode: false))
            : raw(input, arguments, context));

        // Only the filters a template may use are registered; the loader refuses the others with their position.
        foreach (var (name, _) in options.Filters.ToList().Where(f => !BrazeFilterCatalog.IsSupported(f.Key)))
        {
            options.Filters.Remove(name);
        }

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
        var parser = new FluidParser(new FluidParserOptions { AllowLiquidTag = true });

        // A capture holds text. Outputs inside it are not escaped there: the text is escaped once, where it is finally
        // output, whatever path it took (Fluid would escape for the capture's own position and mark the result as safe).
        parser.RegisterIdentifierBlock("capture", static async (identifier, statements, _, _, context) =>
        {
            using var text = new StringWriter(CultureInfo.InvariantCulture);
            var completion = Completion.Normal;
            foreach (var statement in statements)
            {
                completion = await statement.WriteToAsync(text, NullEncoder.Default, context);
                if (completion != Completion.Normal)
                {
                    break;
                }
            }

            context.SetValue(identifier, StringValue.Create(text.ToString()));
            return completion;
        });
        parser.RegisterExpressionTag("abort_message", static async (reason, _, _, context) =>
        {
            var value = await reason.EvaluateAsync(context);
            throw new AbortMessageException(value.ToStringValue());
        });
        return parser;
    }
}
