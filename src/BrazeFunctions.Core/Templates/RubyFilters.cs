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

        filters.AddFilter("sort", (input, args, context) => Sort(input, args, context, natural: false));
        filters.AddFilter("sort_natural", (input, args, context) => Sort(input, args, context, natural: true));
        filters.AddFilter("url_decode", (input, _, _) => Done(UrlDecode(input)));
        filters.AddFilter("concat", (input, args, _) => Done(Concat(input, args.At(0))));

        var size = Required(filters, "size");
        filters.AddFilter("size", (input, args, context) => input.IsNil() ? Done(NumberValue.Zero) : size(input, args, context));

        // Ruby treats a hash given to these filters as a one-item array, and flattens nested arrays.
        foreach (var name in new[] { "map", "where", "uniq", "compact", "first", "last" })
        {
            var fluid = Required(filters, name);
            filters.AddFilter(name, async (input, args, context) =>
            {
                var items = input is JsonObjectValue ? new ArrayValue([input]) : input;
                var result = await fluid(items, args, context);
                return name == "map" && result is ArrayValue mapped ? Flatten(mapped) : result;
            });
        }

        var uniq = Required(filters, "uniq");
        filters.AddFilter("uniq", async (input, args, context) => args.Count == 0 || args.At(0).IsNil()
            ? await uniq(input, args, context)
            : await UniqBy(input, args.At(0), context));

        var join = Required(filters, "join");
        filters.AddFilter("join", (input, args, context) => join(input, args.Count == 0 ? new FilterArguments(StringValue.Create(" ")) : args, context));
    }

    private static FilterDelegate Required(FilterCollection filters, string name) =>
        filters.TryGetValue(name, out var filter) ? filter : throw new InvalidOperationException($"Fluid has no '{name}' filter");

    private static ValueTask<FluidValue> Done(FluidValue value) => new(value);

    /// <summary>Ruby's InputIterator: an array flattened, a hash as one item, nil as nothing, anything else as one item.</summary>
    private static List<FluidValue> Items(FluidValue input, TemplateContext context) => input switch
    {
        ArrayValue array => [.. Flatten(array).Values],
        NilValue or EmptyValue or BlankValue => [],
        JsonObjectValue => [input],
        StringValue => [input],
        _ => [.. input.Enumerate(context)],
    };

    private static ArrayValue Flatten(ArrayValue array) =>
        array.Values.Any(v => v is ArrayValue) ? new ArrayValue([.. array.Values.SelectMany(v => v is ArrayValue inner ? Flatten(inner).Values : [v])]) : array;

    private static async ValueTask<FluidValue> Sort(FluidValue input, FilterArguments args, TemplateContext context, bool natural)
    {
        var items = Items(input, context);
        var property = args.Count > 0 && !args.At(0).IsNil() ? args.At(0).ToStringValue() : null;
        var keyed = new List<(FluidValue Item, FluidValue Key)>(items.Count);
        foreach (var item in items)
        {
            if (property is null)
            {
                keyed.Add((item, item));
            }
            else if (item is JsonObjectValue or DictionaryValue or ObjectValue)
            {
                keyed.Add((item, await item.GetValueAsync(property, context)));
            }
            else
            {
                throw new TemplateRenderException($"sort: cannot select the property '{property}'");
            }
        }

        // Ruby's sort puts nil last; sort_natural compares case-insensitively.
        var sorted = keyed.Order(Comparer<(FluidValue Item, FluidValue Key)>.Create((a, b) => Compare(a.Key, b.Key, natural))).Select(k => k.Item);
        return new ArrayValue([.. sorted]);
    }

    private static int Compare(FluidValue a, FluidValue b, bool natural)
    {
        if (a.IsNil() || b.IsNil())
        {
            return a.IsNil() == b.IsNil() ? 0 : a.IsNil() ? 1 : -1;
        }

        if (natural)
        {
            return string.Compare(a.ToStringValue(), b.ToStringValue(), StringComparison.OrdinalIgnoreCase);
        }

        return (a, b) switch
        {
            (NumberValue or BigNumberValue, NumberValue or BigNumberValue) => a.ToNumberValue().CompareTo(b.ToNumberValue()),
            (StringValue or JsonTextValue, StringValue or JsonTextValue) => string.CompareOrdinal(a.ToStringValue(), b.ToStringValue()),
            _ => throw new TemplateRenderException("sort: cannot sort values of incompatible types"),
        };
    }

    private static async ValueTask<FluidValue> UniqBy(FluidValue input, FluidValue property, TemplateContext context)
    {
        var seen = new List<FluidValue>();
        var result = new List<FluidValue>();
        foreach (var item in Items(input, context))
        {
            var key = item is JsonObjectValue or DictionaryValue or ObjectValue
                ? await item.GetValueAsync(property.ToStringValue(), context)
                : throw new TemplateRenderException($"uniq: cannot select the property '{property.ToStringValue()}'");
            if (!seen.Any(s => s.Equals(key)))
            {
                seen.Add(key);
                result.Add(item);
            }
        }

        return new ArrayValue([.. result]);
    }

    private static ArrayValue Concat(FluidValue input, FluidValue other)
    {
        if (other is not ArrayValue second)
        {
            throw new TemplateRenderException("concat: the argument must be an array");
        }

        return new ArrayValue([.. (input is ArrayValue first ? first.Values : input.IsNil() ? [] : [input]), .. second.Values]);
    }

    /// <summary>Ruby's CGI.unescape: '+' is a space, and the bytes must be valid UTF-8.</summary>
    private static StringValue UrlDecode(FluidValue input)
    {
        var text = input.ToStringValue().Replace('+', ' ');
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '%' && i + 2 < text.Length && Uri.IsHexDigit(text[i + 1]) && Uri.IsHexDigit(text[i + 2]))
            {
                bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(text[i].ToString()));
            }
        }

        try
        {
            return StringValue.Create(new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString([.. bytes]));
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new TemplateRenderException("url_decode: invalid byte sequence in UTF-8");
        }
    }

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
