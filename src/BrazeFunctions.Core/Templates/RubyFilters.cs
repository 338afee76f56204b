using System.Text.RegularExpressions;
using Fluid;
using Fluid.Values;

namespace BrazeFunctions.Core.Templates;

/// <summary>
/// Standard filters whose Fluid behaviour differs from Ruby Liquid 5 (which Braze runs), replaced with Ruby's behaviour.
/// Fluid's other standard filters already agree with Ruby on the conformance suite.
/// </summary>
internal static partial class RubyFilters
{
    public static void Register(FilterCollection filters)
    {
        filters.AddFilter("plus", (input, args, _) => Done(RubyNumbers.Apply(input, args.At(0), static (a, b) => a + b)));
        filters.AddFilter("minus", (input, args, _) => Done(RubyNumbers.Apply(input, args.At(0), static (a, b) => a - b)));
        filters.AddFilter("times", (input, args, _) => Done(RubyNumbers.Apply(input, args.At(0), static (a, b) => a * b)));
        filters.AddFilter("divided_by", (input, args, _) => Done(RubyNumbers.Divide(input, args.At(0))));
        filters.AddFilter("modulo", (input, args, _) => Done(RubyNumbers.Modulo(input, args.At(0))));
        filters.AddFilter("round", (input, args, _) => Done(RubyNumbers.Round(input, args.At(0), args.Count > 0)));
        filters.AddFilter("ceil", (input, _, _) => Done(NumberValue.Create(decimal.Ceiling(RubyNumbers.ToNumber(input)))));
        filters.AddFilter("floor", (input, _, _) => Done(NumberValue.Create(decimal.Floor(RubyNumbers.ToNumber(input)))));
        filters.AddFilter("abs", (input, _, _) => Done(Abs(input)));
        filters.AddFilter("at_least", (input, args, _) => Done(Bound(input, args.At(0), atLeast: true)));
        filters.AddFilter("at_most", (input, args, _) => Done(Bound(input, args.At(0), atLeast: false)));
        filters.AddFilter("split", (input, args, _) => Done(Split(input, args.At(0))));
        filters.AddFilter("newline_to_br", (input, _, _) => Done(StringValue.Create(Newline().Replace(input.ToStringValue(), "<br />\n"))));
        filters.AddFilter("strip_html", (input, _, _) => Done(StringValue.Create(HtmlTag().Replace(HtmlBlock().Replace(input.ToStringValue(), string.Empty), string.Empty))));
        filters.AddFilter("date", Date);
        filters.AddFilter("slice", (input, args, _) => Done(Slice(input, args)));

        var join = Required(filters, "join");
        filters.AddFilter("join", (input, args, context) => join(input, args.Count == 0 ? new FilterArguments(StringValue.Create(" ")) : args, context));
    }

    private static FilterDelegate Required(FilterCollection filters, string name) =>
        filters.TryGetValue(name, out var filter) ? filter : throw new InvalidOperationException($"Fluid has no '{name}' filter");

    private static ValueTask<FluidValue> Done(FluidValue value) => new(value);

    private static FluidValue Abs(FluidValue input)
    {
        var value = RubyNumbers.ToNumber(input);
        return RubyNumbers.Result(Math.Abs(value), RubyNumbers.IsFloat(value));
    }

    private static FluidValue Bound(FluidValue input, FluidValue limit, bool atLeast)
    {
        var bound = RubyNumbers.ToNumber(limit);
        var value = RubyNumbers.ToNumber(input);
        var result = atLeast ? (bound > value ? bound : value) : (bound < value ? bound : value);
        return RubyNumbers.Result(result, RubyNumbers.IsFloat(result));
    }

    /// <summary>Ruby's <c>String#split</c>: " " splits on runs of whitespace, "" into characters; trailing empty strings are dropped, leading ones kept.</summary>
    private static ArrayValue Split(FluidValue input, FluidValue separator)
    {
        var text = input.IsNil() ? string.Empty : input.ToStringValue();
        var pattern = separator.IsNil() ? " " : separator.ToStringValue();
        List<string> parts;
        if (pattern == " ")
        {
            parts = [.. text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)];
        }
        else if (pattern.Length == 0)
        {
            parts = [.. text.EnumerateRunes().Select(r => r.ToString())];
        }
        else
        {
            parts = [.. text.Split(pattern)];
            while (parts.Count > 0 && parts[^1].Length == 0)
            {
                parts.RemoveAt(parts.Count - 1);
            }
        }

        return new ArrayValue([.. parts.Select(p => (FluidValue)StringValue.Create(p))]);
    }

    /// <summary>Ruby's slice: negative offsets count from the end; out of range gives an empty result.</summary>
    private static FluidValue Slice(FluidValue input, FilterArguments args)
    {
        if (args.Count == 0 || args.At(0).IsNil())
        {
            throw new TemplateRenderException("slice: invalid integer argument");
        }

        var offset = RubyNumbers.ToInteger(args.At(0), "slice");
        var length = args.Count > 1 ? RubyNumbers.ToInteger(args.At(1), "slice") : 1;
        if (input is ArrayValue array)
        {
            var (start, count) = Window(array.Values.Count, offset, length);
            return start < 0 ? new ArrayValue([]) : new ArrayValue([.. array.Values.Skip(start).Take(count)]);
        }

        var text = input.IsNil() ? string.Empty : input.ToStringValue();
        var (from, take) = Window(text.Length, offset, length);
        return StringValue.Create(from < 0 ? string.Empty : text.Substring(from, take));

        static (int Start, int Count) Window(int size, int offset, int length)
        {
            var start = offset < 0 ? size + offset : offset;
            if (start < 0 || start > size || length < 0)
            {
                return (-1, 0);
            }

            return (start, Math.Min(length, size - start));
        }
    }

    private static ValueTask<FluidValue> Date(FluidValue input, FilterArguments arguments, TemplateContext context)
    {
        var format = arguments.At(0).IsNil() ? string.Empty : arguments.At(0).ToStringValue();
        if (format.Length == 0)
        {
            return Done(input);
        }

        // Unparseable input comes back unchanged, as in Ruby.
        return RubyTime.ToDate(input, context) is { } date ? Done(StringValue.Create(RubyTime.Strftime(date, format))) : Done(input);
    }

    [GeneratedRegex(@"\r?\n")]
    private static partial Regex Newline();

    [GeneratedRegex(@"<script.*?</script>|<!--.*?-->|<style.*?</style>", RegexOptions.Singleline)]
    private static partial Regex HtmlBlock();

    [GeneratedRegex("<.*?>", RegexOptions.Singleline)]
    private static partial Regex HtmlTag();
}
