using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fluid;
using Fluid.Values;

namespace BrazeFunctions.Core.Templates;

/// <summary>The filters Braze adds to standard Liquid.</summary>
internal static class BrazeFilters
{
    public static void Register(FilterCollection filters)
    {
        // The relay escapes every output once, where it lands; json_escape only marks its text as meant for a JSON string.
        filters.AddFilter("json_escape", (input, _, _) => new JsonTextValue(input.ToStringValue(), JsonTextKind.EscapedText));
        filters.AddFilter("as_json_string", AsJsonString);
        filters.AddFilter("json_parse", JsonParse);
        filters.AddFilter("property_accessor", PropertyAccessor);
        filters.AddFilter("url_escape", (input, _, _) => Text(UrlEscape(input.ToStringValue(), keepReserved: true)));
        filters.AddFilter("url_param_escape", (input, _, _) => Text(UrlEscape(input.ToStringValue(), keepReserved: false)));
        filters.AddFilter("url_encode", (input, _, _) => Text(WebUtility.UrlEncode(input.ToStringValue())));
        filters.AddFilter("md5", (input, _, _) => Text(Convert.ToHexStringLower(MD5.HashData(Utf8(input)))));
        filters.AddFilter("sha1", (input, _, _) => Text(Convert.ToHexStringLower(SHA1.HashData(Utf8(input)))));
        filters.AddFilter("sha2", (input, _, _) => Text(Convert.ToHexStringLower(SHA256.HashData(Utf8(input)))));
        filters.AddFilter("base64", (input, _, _) => Text(Convert.ToBase64String(Utf8(input))));
        filters.AddFilter("hmac_sha256_hex", (input, args, _) => Text(Convert.ToHexStringLower(HMACSHA256.HashData(Key(args, "hmac_sha256_hex"), Utf8(input)))));
        filters.AddFilter("hmac_sha256_base64", (input, args, _) => Text(Convert.ToBase64String(HMACSHA256.HashData(Key(args, "hmac_sha256_base64"), Utf8(input)))));
        filters.AddFilter("hmac_sha1_hex", (input, args, _) => Text(Convert.ToHexStringLower(HMACSHA1.HashData(Key(args, "hmac_sha1_hex"), Utf8(input)))));
        filters.AddFilter("hmac_sha512", (input, args, _) => Text(Convert.ToHexStringLower(HMACSHA512.HashData(Key(args, "hmac_sha512"), Utf8(input)))));
        filters.AddFilter("hmac_sha1", (input, args, _) => Text(Convert.ToHexStringLower(HMACSHA1.HashData(Key(args, "hmac_sha1"), Utf8(input)))));
        filters.AddFilter("hmac_sha256", (input, args, _) => Text(Convert.ToHexStringLower(HMACSHA256.HashData(Key(args, "hmac_sha256"), Utf8(input)))));
        filters.AddFilter("hmac_sha1_base64", (input, args, _) => Text(Convert.ToBase64String(HMACSHA1.HashData(Key(args, "hmac_sha1_base64"), Utf8(input)))));
        filters.AddFilter("number_with_delimiter", (input, _, _) => Text(NumberWithDelimiter(RubyNumbers.ToNumber(input))));
        filters.AddFilter("money", (input, _, _) => Text(Money(RubyNumbers.ToNumber(input))));
        filters.AddFilter("h", Required(filters, "escape"));
    }

    private static FilterDelegate Required(FilterCollection filters, string name) =>
        filters.TryGetValue(name, out var filter) ? filter : throw new InvalidOperationException($"Fluid has no '{name}' filter");

    private static ValueTask<FluidValue> Text(string value) => new(StringValue.Create(value));

    private static byte[] Utf8(FluidValue input) => Encoding.UTF8.GetBytes(input.ToStringValue());

    private static byte[] Key(FilterArguments args, string filter) =>
        args.Count > 0 && !args.At(0).IsNil()
            ? Encoding.UTF8.GetBytes(args.At(0).ToStringValue())
            : throw new TemplateRenderException($"{filter} needs a key argument, e.g. {{{{ value | {filter}: 'key' }}}}");

    private static ValueTask<FluidValue> AsJsonString(FluidValue input, FilterArguments arguments, TemplateContext context)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            JsonModel.Write(writer, input);
        }

        return new JsonTextValue(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length), JsonTextKind.Json);
    }

    private static ValueTask<FluidValue> JsonParse(FluidValue input, FilterArguments arguments, TemplateContext context)
    {
        try
        {
            using var document = JsonDocument.Parse(input.ToStringValue());
            var missing = context.AmbientValues.TryGetValue(WebhookTemplateRenderer.MissingKey, out var m) ? m as MissingVariables : null;
            return new(JsonModel.From(document.RootElement, "json_parse", missing));
        }
        catch (JsonException)
        {
            throw new TemplateRenderException("json_parse: the input is not valid JSON");
        }
    }

    private static async ValueTask<FluidValue> PropertyAccessor(FluidValue input, FilterArguments arguments, TemplateContext context) =>
        arguments.Count == 0 ? NilValue.Instance : await input.GetValueAsync(arguments.At(0).ToStringValue(), context);

    internal static string UrlEscape(string value, bool keepReserved)
    {
        const string Unreserved = "-_.!~*'()";
        const string Reserved = ";/?:@&=+$,[]";
        var builder = new StringBuilder(value.Length + 16);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || (b < 0x80 && (Unreserved.Contains(c, StringComparison.Ordinal) || (keepReserved && Reserved.Contains(c, StringComparison.Ordinal)))))
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// Braze's money: the amount itself (not cents, unlike Shopify) with two decimals and thousands separated by commas;
    /// the currency symbol is written by the template, as in <c>${{ amount | money }}</c>.
    /// </summary>
    internal static string Money(decimal value) =>
        NumberWithDelimiter(Math.Round(value, 2, MidpointRounding.AwayFromZero)).Split('.') is [var whole, var fraction]
            ? whole + "." + fraction.PadRight(2, '0')[..2]
            : NumberWithDelimiter(Math.Round(value, 2, MidpointRounding.AwayFromZero)) + ".00";

    internal static string NumberWithDelimiter(decimal value)
    {
        var text = value.ToString(CultureInfo.InvariantCulture);
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var integer = decimal.Truncate(value);
        var grouped = Math.Abs(integer).ToString("#,0", CultureInfo.InvariantCulture);
        var sign = value < 0 ? "-" : string.Empty;
        return sign + grouped + (dot >= 0 ? text[dot..] : string.Empty);
    }
}
