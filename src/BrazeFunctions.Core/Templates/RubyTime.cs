using System.Globalization;
using System.Text;
using Fluid;
using Fluid.Values;

namespace BrazeFunctions.Core.Templates;

/// <summary>Ruby Liquid's <c>date</c> filter: what it accepts as a time, and Ruby's <c>strftime</c> directives.</summary>
internal static class RubyTime
{
    private static readonly string[] ExactFormats =
    [
        "ddd MMM d HH:mm:ss yyyy",
        "ddd MMM d HH:mm:ss 'UTC' yyyy",
        "ddd, d MMM yyyy HH:mm:ss 'GMT'",
        "ddd, d MMM yyyy HH:mm:ss zzz",
        "yyyy-MM-dd HH:mm:ss zzz",
        "yyyy-MM-dd HH:mm:ss.FFFFFFF zzz",
        "yyyy-MM-dd HH:mm:ss 'UTC'",
        "yyyy-MM-dd HH:mm:ss.FFFFFFF 'UTC'",
        "yyyy-MM-dd H:mm:ss 'UTC'",
        "yyyy-MM-ddTHH:mm:ss.FFFFFFFK",
        "yyyy-MM-ddTHH:mm:ssK",
        "yyyy-MM-dd HH:mm:ss",
        "yyyy-MM-dd H:mm:ss",
        "yyyy-MM-dd HH:mm",
        "yyyy-MM-dd",
        "MMMM d, yyyy",
        "MMMM d yyyy",
        "MMM d, yyyy",
        "MMM d yyyy",
        "d MMMM yyyy",
        "d MMM yyyy",
    ];

    /// <summary>Ruby's <c>Utils.to_date</c>: a time, epoch seconds (number or digit string), 'now'/'today', or a parseable string.</summary>
    public static DateTimeOffset? ToDate(FluidValue input, TemplateContext context)
    {
        switch (input)
        {
            case DateTimeValue:
                return input.ToObjectValue() switch
                {
                    DateTimeOffset offset => offset,
                    DateTime dateTime => new DateTimeOffset(DateTime.SpecifyKind(dateTime, DateTimeKind.Utc)),
                    _ => null,
                };
            case NumberValue when !RubyNumbers.IsFloat(input.ToNumberValue()):
                return FromEpoch(input.ToNumberValue());
            case NumberValue:
                return null;
            case NilValue or EmptyValue or BlankValue:
                return null;
        }

        var text = input.ToStringValue();
        if (text.Length == 0)
        {
            return null;
        }

        var lower = text.ToLowerInvariant();
        if (lower is "now" or "today")
        {
            return context.Now();
        }

        if (lower.All(char.IsAsciiDigit))
        {
            return decimal.TryParse(lower, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? FromEpoch(seconds) : null;
        }

        return Parse(text.Trim());
    }

    private static DateTimeOffset? FromEpoch(decimal seconds) =>
        seconds is >= -62135596800m and <= 253402300799m ? DateTimeOffset.FromUnixTimeSeconds((long)seconds) : null;

    private static DateTimeOffset? Parse(string text)
    {
        const DateTimeStyles Styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal | DateTimeStyles.AllowWhiteSpaces;
        var normalized = string.Join(' ', text.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        if (DateTimeOffset.TryParseExact(normalized, ExactFormats, CultureInfo.InvariantCulture, Styles, out var exact))
        {
            return exact;
        }

        return DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture, Styles, out var parsed) ? parsed : null;
    }

    /// <summary>Ruby's <c>Time#strftime</c>, with its flags (<c>-</c>, <c>_</c>, <c>0</c>, <c>^</c>, <c>#</c>) and widths.</summary>
    public static string Strftime(DateTimeOffset time, string format)
    {
        var output = new StringBuilder(format.Length * 2);
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                output.Append(format[i]);
                continue;
            }

            var start = i;
            i++;
            var flags = string.Empty;
            while (i < format.Length && format[i] is '-' or '_' or '0' or '^' or '#')
            {
                flags += format[i];
                i++;
            }

            var widthStart = i;
            while (i < format.Length && char.IsAsciiDigit(format[i]))
            {
                i++;
            }

            int? width = i > widthStart ? int.Parse(format.AsSpan(widthStart, i - widthStart), CultureInfo.InvariantCulture) : null;
            var colons = 0;
            while (i < format.Length && format[i] == ':')
            {
                colons++;
                i++;
            }

            if (i >= format.Length)
            {
                output.Append(format, start, format.Length - start);
                break;
            }

            var directive = Directive(time, format[i], colons, width);
            if (directive is null)
            {
                output.Append(format, start, i - start + 1);
                continue;
            }

            output.Append(Pad(directive.Value, flags, width));
        }

        return output.ToString();
    }

    private readonly record struct Conversion(string Text, char PadChar, int Width, bool Numeric);

    private static Conversion? Directive(DateTimeOffset t, char c, int colons, int? width) =>
        DateDirective(t, c) ?? TimeDirective(t, c, colons, width) ?? CompositeDirective(t, c);

    private static Conversion? DateDirective(DateTimeOffset t, char c)
    {
        var names = CultureInfo.InvariantCulture.DateTimeFormat;
        return c switch
        {
            'Y' => Number(t.Year, 1),
            'C' => Number(t.Year / 100, 2),
            'y' => Number(t.Year % 100, 2),
            'm' => Number(t.Month, 2),
            'B' => Text(names.GetMonthName(t.Month)),
            'b' or 'h' => Text(names.GetAbbreviatedMonthName(t.Month)),
            'd' => Number(t.Day, 2),
            'e' => Number(t.Day, 2, ' '),
            'j' => Number(t.DayOfYear, 3),
            'A' => Text(names.GetDayName(t.DayOfWeek)),
            'a' => Text(names.GetAbbreviatedDayName(t.DayOfWeek)),
            'u' => Number(t.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)t.DayOfWeek, 1),
            'w' => Number((int)t.DayOfWeek, 1),
            'G' => Number(ISOWeek.GetYear(t.DateTime), 4),
            'g' => Number(ISOWeek.GetYear(t.DateTime) % 100, 2),
            'V' => Number(ISOWeek.GetWeekOfYear(t.DateTime), 2),
            'U' => Number((t.DayOfYear + 6 - (int)t.DayOfWeek) / 7, 2),
            'W' => Number((t.DayOfYear + 6 - (((int)t.DayOfWeek + 6) % 7)) / 7, 2),
            _ => null,
        };
    }

    private static Conversion? TimeDirective(DateTimeOffset t, char c, int colons, int? width)
    {
        var hour12 = t.Hour % 12 == 0 ? 12 : t.Hour % 12;
        return c switch
        {
            'H' => Number(t.Hour, 2),
            'k' => Number(t.Hour, 2, ' '),
            'I' => Number(hour12, 2),
            'l' => Number(hour12, 2, ' '),
            'P' => Text(t.Hour < 12 ? "am" : "pm"),
            'p' => Text(t.Hour < 12 ? "AM" : "PM"),
            'M' => Number(t.Minute, 2),
            'S' => Number(t.Second, 2),
            'L' => Fraction(t, width ?? 3),
            'N' => Fraction(t, width ?? 9),
            'z' => Text(Offset(t.Offset, colons)),
            'Z' => Text(t.Offset == TimeSpan.Zero ? "UTC" : string.Empty),
            's' => Number(t.ToUnixTimeSeconds(), 1),
            _ => null,
        };
    }

    private static Conversion? CompositeDirective(DateTimeOffset t, char c) => c switch
    {
        'n' => Text("\n"),
        't' => Text("\t"),
        '%' => Text("%"),
        'c' => Text(Strftime(t, "%a %b %e %H:%M:%S %Y")),
        'D' or 'x' => Text(Strftime(t, "%m/%d/%y")),
        'F' => Text(Strftime(t, "%Y-%m-%d")),
        'T' or 'X' => Text(Strftime(t, "%H:%M:%S")),
        'R' => Text(Strftime(t, "%H:%M")),
        'r' => Text(Strftime(t, "%I:%M:%S %p")),
        '+' => Text(Strftime(t, "%a %b %e %H:%M:%S %Z %Y")),
        _ => null,
    };

    private static Conversion Number(long value, int digits, char pad = '0') =>
        new(value.ToString(CultureInfo.InvariantCulture), pad, digits, Numeric: true);

    private static Conversion Text(string value) => new(value, ' ', 0, Numeric: false);

    private static Conversion Fraction(DateTimeOffset t, int digits)
    {
        var nanos = (t.Ticks % TimeSpan.TicksPerSecond * 100).ToString("D9", CultureInfo.InvariantCulture);
        var text = digits <= 9 ? nanos[..digits] : nanos + new string('0', digits - 9);
        return new Conversion(text, '0', 0, Numeric: false);
    }

    private static string Offset(TimeSpan offset, int colons)
    {
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        var abs = offset.Duration();
        var hh = abs.Hours.ToString("D2", CultureInfo.InvariantCulture);
        var mm = abs.Minutes.ToString("D2", CultureInfo.InvariantCulture);
        return colons switch
        {
            0 => sign + hh + mm,
            1 => sign + hh + ":" + mm,
            _ => sign + hh + ":" + mm + ":" + abs.Seconds.ToString("D2", CultureInfo.InvariantCulture),
        };
    }

    private static string Pad(Conversion conversion, string flags, int? width)
    {
        var text = conversion.Text;
        if (flags.Contains('^', StringComparison.Ordinal))
        {
            text = text.ToUpperInvariant();
        }
        else if (flags.Contains('#', StringComparison.Ordinal))
        {
            text = string.Concat(text.Select(ch => char.IsUpper(ch) ? char.ToLowerInvariant(ch) : char.ToUpperInvariant(ch)));
        }

        if (flags.Contains('-', StringComparison.Ordinal))
        {
            return conversion.Numeric ? text.TrimStart('0', ' ').PadLeft(1, '0') : text;
        }

        var padChar = flags.Contains('_', StringComparison.Ordinal) ? ' ' : flags.Contains('0', StringComparison.Ordinal) ? '0' : conversion.PadChar;
        var targetWidth = width ?? conversion.Width;
        if (conversion.Numeric && text.StartsWith('-') && padChar == '0')
        {
            return "-" + text[1..].PadLeft(Math.Max(0, targetWidth - 1), '0');
        }

        return text.PadLeft(targetWidth, padChar);
    }
}
