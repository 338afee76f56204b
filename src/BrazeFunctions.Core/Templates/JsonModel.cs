using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Fluid;
using Fluid.Values;

namespace BrazeFunctions.Core.Templates;

/// <summary>Names of variables a render looked up and did not find, so authors can find typos.</summary>
internal sealed class MissingVariables
{
    private readonly List<string> _names = [];

    public IReadOnlyList<string> Names => _names;

    public void Add(string name)
    {
        if (!_names.Contains(name, StringComparer.Ordinal))
        {
            _names.Add(name);
        }
    }
}

/// <summary>Turns payload JSON into Fluid values whose objects report lookups of absent fields.</summary>
internal static class JsonModel
{
    public static FluidValue From(JsonElement element, string path, MissingVariables? missing) => element.ValueKind switch
    {
        JsonValueKind.Object => new JsonObjectValue(new JsonObjectIndexable(element, path, missing)),
        JsonValueKind.Array => new ArrayValue([.. element.EnumerateArray().Select((e, i) => From(e, $"{path}[{i}]", missing))]),
        JsonValueKind.String => StringValue.Create(element.GetString()!),
        JsonValueKind.Number => Number(element.GetRawText()),
        JsonValueKind.True => BooleanValue.True,
        JsonValueKind.False => BooleanValue.False,
        _ => NilValue.Instance,
    };

    /// <summary>
    /// A JSON number as Ruby reads it: with a fraction or exponent it is a float, otherwise an integer. A number beyond
    /// what a decimal holds (1e400, a 40-digit id) keeps its exact text for output instead of becoming a string.
    /// </summary>
    private static FluidValue Number(string raw)
    {
        if (!decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return new BigNumberValue(raw);
        }

        var isFloat = raw.AsSpan().IndexOfAny('.', 'e', 'E') >= 0;
        if (isFloat && d == 0 && raw.AsSpan().IndexOfAnyInRange('1', '9') >= 0)
        {
            // Too small for a decimal (1e-40): the exact text is kept as for very large numbers.
            return new BigNumberValue(raw);
        }

        return NumberValue.Create(isFloat ? RubyNumbers.AsFloat(d) : d);
    }

    /// <summary>Serialises a Fluid value back to JSON (as_json_string).</summary>
    public static void Write(Utf8JsonWriter writer, FluidValue value, int depth = 0)
    {
        if (depth > 64)
        {
            throw new TemplateRenderException("as_json_string: the value is nested more than 64 levels deep");
        }

        switch (value)
        {
            case NilValue or EmptyValue or BlankValue:
                writer.WriteNullValue();
                break;
            case BooleanValue:
                writer.WriteBooleanValue(value.ToBooleanValue());
                break;
            case NumberValue:
                writer.WriteNumberValue(value.ToNumberValue());
                break;
            case BigNumberValue big:
                writer.WriteRawValue(big.RawText, skipInputValidation: true);
                break;
            case JsonTextValue text:
                writer.WriteStringValue(text.ToStringValue());
                break;
            case ArrayValue array:
                writer.WriteStartArray();
                foreach (var item in array.Values)
                {
                    Write(writer, item, depth + 1);
                }

                writer.WriteEndArray();
                break;
            case JsonObjectValue json:
                writer.WriteStartObject();
                foreach (var (key, item) in json.Fields.Properties)
                {
                    writer.WritePropertyName(key);
                    Write(writer, item, depth + 1);
                }

                writer.WriteEndObject();
                break;
            case DictionaryValue when value.ToObjectValue() is IFluidIndexable indexable:
                writer.WriteStartObject();
                foreach (var key in indexable.Keys)
                {
                    writer.WritePropertyName(key);
                    Write(writer, indexable.TryGetValue(key, out var item) ? item : NilValue.Instance, depth + 1);
                }

                writer.WriteEndObject();
                break;
            default:
                writer.WriteStringValue(value.ToStringValue());
                break;
        }
    }
}

/// <summary>A JSON object as Fluid sees it; lookups of absent fields are recorded by their dotted path.</summary>
internal sealed class JsonObjectIndexable : IFluidIndexable
{
    private readonly Dictionary<string, FluidValue> _values = new(StringComparer.Ordinal);
    private readonly List<string> _keys = [];
    private readonly string _path;
    private readonly MissingVariables? _missing;

    public JsonObjectIndexable(JsonElement element, string path, MissingVariables? missing)
    {
        _path = path;
        _missing = missing;
        foreach (var property in element.EnumerateObject())
        {
            if (!_values.ContainsKey(property.Name))
            {
                _keys.Add(property.Name);
            }

            _values[property.Name] = JsonModel.From(property.Value, Child(property.Name), missing);
        }
    }

    public int Count => _keys.Count;

    public IEnumerable<string> Keys => _keys;

    public IEnumerable<KeyValuePair<string, FluidValue>> Properties => _keys.Select(k => KeyValuePair.Create(k, _values[k]));

    public bool TryGetValue(string name, out FluidValue value)
    {
        if (_values.TryGetValue(name, out value!))
        {
            return true;
        }

        _missing?.Add(Child(name));
        value = NilValue.Instance;
        return false;
    }

    /// <summary>
    /// A field by its name, or else by a dotted path through nested objects: Braze writes nested custom attributes as
    /// <c>custom_attribute.${address.city}</c>.
    /// </summary>
    public bool TryGetPath(string name, out FluidValue value)
    {
        if (_values.TryGetValue(name, out value!))
        {
            return true;
        }

        var dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0 && _values.TryGetValue(name[..dot], out var head) && head is JsonObjectValue nested)
        {
            return nested.Fields.TryGetPath(name[(dot + 1)..], out value);
        }

        return TryGetValue(name, out value);
    }

    private string Child(string name) => _path.Length == 0 ? name : _path + "." + name;
}

/// <summary>A JSON number outside the range of a decimal: written exactly as it came, never turned into a string.</summary>
internal sealed class BigNumberValue(string rawText) : FluidValue
{
    public string RawText { get; } = rawText;

    public override FluidValues Type => FluidValues.Number;

    public override bool Equals(FluidValue other) => other is BigNumberValue big && big.RawText == RawText;

    public override bool ToBooleanValue() => true;

    /// <summary>Comparisons see the nearest decimal (its sign and order are right); arithmetic refuses the value.</summary>
    public override decimal ToNumberValue() =>
        double.TryParse(RawText, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && Math.Abs(d) < 1
            ? 0
            : RawText.StartsWith('-') ? decimal.MinValue : decimal.MaxValue;

    public override string ToStringValue() => RawText;

    public override object ToObjectValue() => RawText;

    public override ValueTask WriteToAsync(TextWriter writer, TextEncoder encoder, CultureInfo cultureInfo)
    {
        writer.Write(encoder.Encode(RawText));
        return default;
    }

    public override bool Equals(object? obj) => obj is FluidValue other && Equals(other);

    public override int GetHashCode() => RawText.GetHashCode(StringComparison.Ordinal);
}

/// <summary>
/// A payload object. Unlike Fluid's DictionaryValue, <c>contains</c> tests the keys, as Shopify Liquid does for hashes,
/// so <c>{% if payload contains "x" %}</c> tests an optional field without reporting it as missing.
/// </summary>
internal sealed class JsonObjectValue(JsonObjectIndexable fields) : FluidValue
{
    public JsonObjectIndexable Fields { get; } = fields;

    public override FluidValues Type => FluidValues.Dictionary;

    public override bool Equals(FluidValue other) => ReferenceEquals(this, other) || (other.IsNil() && Fields.Count == 0);

    public override ValueTask<FluidValue> GetValueAsync(string name, TemplateContext context) =>
        name == "size" && !Fields.Keys.Contains("size", StringComparer.Ordinal)
            ? NumberValue.Create(Fields.Count)
            : new ValueTask<FluidValue>(Fields.TryGetValue(name, out var value) ? value : NilValue.Instance);

    public override ValueTask<FluidValue> GetIndexAsync(FluidValue index, TemplateContext context) =>
        new(Fields.TryGetPath(index.ToStringValue(), out var value) ? value : NilValue.Instance);

    public override bool ToBooleanValue() => true;

    public override decimal ToNumberValue() => 0;

    public override string ToStringValue() => string.Empty;

    public override object ToObjectValue() => Fields;

    public override ValueTask WriteToAsync(TextWriter writer, TextEncoder encoder, CultureInfo cultureInfo) => default;

    public override bool Contains(FluidValue value) => Fields.Keys.Contains(value.ToStringValue(), StringComparer.Ordinal);

    public override IEnumerable<FluidValue> Enumerate(TemplateContext context) =>
        Fields.Properties.Select(p => (FluidValue)new ArrayValue([StringValue.Create(p.Key), p.Value]));

    public override bool Equals(object? obj) => obj is FluidValue other && Equals(other);

    public override int GetHashCode() => Fields.GetHashCode();
}
