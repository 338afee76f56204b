using System.Globalization;
using Fluid;

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
        return options;
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
