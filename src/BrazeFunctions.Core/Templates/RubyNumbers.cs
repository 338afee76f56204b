using System.Globalization;
using Fluid.Values;

namespace BrazeFunctions.Core.Templates;

/// <summary>
/// Ruby Liquid's numbers on top of Fluid's decimals. Ruby keeps integers and floats apart (<c>10.0 / 4</c> is 2.5,
/// <c>10 / 4</c> is 2); a decimal carries that as its scale: a scale above zero is a float.
/// </summary>
internal static class RubyNumbers
{
    public static bool IsFloat(decimal value) => value.Scale > 0;

    /// <summary>Ruby's <c>Utils.to_number</c>: numbers as they are, "1.5"-shaped strings as floats, other strings by <c>to_i</c>.</summary>
    public static decimal ToNumber(FluidValue value)
    {
        switch (value)
        {
            case NumberValue:
                return value.ToNumberValue();
            case BigNumberValue:
                throw new TemplateRenderException("a number in the payload is too large for arithmetic (it is kept exactly only for output)");
            case StringValue or JsonTextValue:
                return FromString(value.ToStringValue());
            default:
                return 0;
        }
    }

    /// <summary>Ruby's <c>Integer(...)</c> as Liquid uses it for slice and truncate arguments.</summary>
    public static int ToInteger(FluidValue value, string filter)
    {
        if (value is NumberValue && decimal.Truncate(value.ToNumberValue()) == value.ToNumberValue())
        {
            return (int)Math.Clamp(value.ToNumberValue(), int.MinValue, int.MaxValue);
        }

        var text = value.ToStringValue().Trim();
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw new TemplateRenderException($"{filter}: invalid integer argument");
    }

    public static decimal FromString(string text)
    {
        var s = text.Trim();
        if (IsDecimalText(s))
        {
            return decimal.Parse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        }

        // String#to_i: optional sign and digits (single underscores between digits allowed); anything else ends the number.
        var i = 0;
        var negative = false;
        if (i < s.Length && (s[i] == '-' || s[i] == '+'))
        {
            negative = s[i] == '-';
            i++;
        }

        decimal result = 0;
        var any = false;
        for (; i < s.Length; i++)
        {
            if (char.IsAsciiDigit(s[i]))
            {
                result = checked((result * 10) + (s[i] - '0'));
                any = true;
            }
            else if (s[i] == '_' && any && i + 1 < s.Length && char.IsAsciiDigit(s[i + 1]))
            {
                continue;
            }
            else
            {
                break;
            }
        }

        return negative ? -result : result;
    }

    /// <summary>The result of an operation on a float, as Ruby's <c>BigDecimal#to_f</c> gives it: the nearest double.</summary>
    public static decimal ToFloat(decimal exact)
    {
        var d = (double)exact;
        var text = d.ToString("R", CultureInfo.InvariantCulture);
        var value = text.Contains('E', StringComparison.Ordinal)
            ? exact
            : decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        return AsFloat(value);
    }

    /// <summary>Marks a whole value as a float (3 becomes 3.0) so that later operations and output treat it as one.</summary>
    public static decimal AsFloat(decimal value) => value.Scale == 0 ? value + 0.0m : value;

    public static FluidValue Result(decimal value, bool isFloat) => NumberValue.Create(isFloat ? ToFloat(value) : value);

    public static FluidValue Apply(FluidValue input, FluidValue operand, Func<decimal, decimal, decimal> operation)
    {
        var a = ToNumber(input);
        var b = ToNumber(operand);
        return Result(operation(a, b), IsFloat(a) || IsFloat(b));
    }

    public static FluidValue Divide(FluidValue input, FluidValue operand)
    {
        var a = ToNumber(input);
        var b = ToNumber(operand);
        if (b == 0)
        {
            // Ruby raises for integers and gives Infinity or NaN for floats; neither is a JSON value.
            throw new TemplateRenderException("divided_by: divided by 0");
        }

        return IsFloat(a) || IsFloat(b) ? Result(a / b, isFloat: true) : NumberValue.Create(decimal.Floor(a / b));
    }

    public static FluidValue Modulo(FluidValue input, FluidValue operand)
    {
        var a = ToNumber(input);
        var b = ToNumber(operand);
        if (b == 0)
        {
            throw new TemplateRenderException("modulo: divided by 0");
        }

        // Ruby's % takes the sign of the divisor.
        var remainder = a - (b * decimal.Floor(a / b));
        return Result(remainder, IsFloat(a) || IsFloat(b));
    }

    public static FluidValue Round(FluidValue input, FluidValue digitsArgument, bool hasDigits)
    {
        var value = ToNumber(input);
        var digits = hasDigits ? (int)ToNumber(digitsArgument) : 0;
        if (!IsFloat(value))
        {
            return NumberValue.Create(digits >= 0 ? value : Math.Round(value / Pow10(-digits), MidpointRounding.AwayFromZero) * Pow10(-digits));
        }

        var rounded = Math.Round(value, Math.Clamp(digits, 0, 28), MidpointRounding.AwayFromZero);
        return digits == 0 ? NumberValue.Create(decimal.Truncate(rounded)) : Result(rounded, isFloat: true);
    }

    public static bool IsDecimalText(string s)
    {
        var i = s.StartsWith('-') ? 1 : 0;
        var digitsBefore = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
            digitsBefore++;
        }

        if (digitsBefore == 0 || i >= s.Length || s[i] != '.')
        {
            return false;
        }

        i++;
        var digitsAfter = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
            digitsAfter++;
        }

        return digitsAfter > 0 && i == s.Length;
    }

    private static decimal Pow10(int exponent)
    {
        decimal result = 1;
        for (var i = 0; i < exponent && i < 28; i++)
        {
            result *= 10;
        }

        return result;
    }
}
