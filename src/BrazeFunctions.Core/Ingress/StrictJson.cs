using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BrazeFunctions.Core.Ingress;

/// <summary>Why a body is not a JSON object the relay accepts: the reply's error code, message and extra fields.</summary>
internal sealed record JsonProblem(string Error, string Message, JsonObject? Extra = null);

/// <summary>
/// Reads a webhook body once, token by token, and refuses what a lenient parser would let through:
/// <list type="bullet">
/// <item>a property name twice in one object. Braze builds bodies by string templating, so a value holding
/// <c>", "user_id": "someone-else</c> adds a second key, and a reader that keeps the last one acts on another user;</item>
/// <item>an escaped lone surrogate (<c>"\ud800"</c>), which is valid JSON syntax but no Unicode text, so every later reader
/// (the template model included) fails on it.</item>
/// </list>
/// Messages name the key and its position (JSON path, line and byte), never a value.
/// </summary>
internal static class StrictJson
{
    private const int MaxKeyLength = 40;
    private const int MaxPathLength = 200;

    public static JsonProblem? Check(ReadOnlySpan<byte> utf8, int maxDepth)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = maxDepth });
        var frames = new List<Frame>();
        JsonTokenType? root = null;
        try
        {
            while (reader.Read())
            {
                root ??= reader.TokenType;
                if (Visit(ref reader, utf8, frames) is { } problem)
                {
                    return problem;
                }
            }
        }
        catch (JsonException ex)
        {
            return new JsonProblem("invalid_json",
                $"The request body is not valid JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}: {DescribeJsonError(ex)}");
        }

        return root == JsonTokenType.StartObject
            ? null
            : new JsonProblem("not_an_object", $"The request body must be one JSON object; it is a JSON {KindName(root)}.");
    }

    /// <summary>Tracks where the reader is and checks the token it stands on; the problem it has, else null.</summary>
    private static JsonProblem? Visit(ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8, List<Frame> frames)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.PropertyName:
                var frame = frames[^1];
                frame.Property = null;
                if (!TryGetString(ref reader, out var name))
                {
                    return LoneSurrogate(utf8, reader.TokenStartIndex, Path(frames) + " (a property name)");
                }

                frame.Property = name;
                return frame.Names!.Add(name) ? null : Duplicate(utf8, reader.TokenStartIndex, name, Path(frames));
            case JsonTokenType.StartObject:
            case JsonTokenType.StartArray:
                CountArrayItem(frames);
                frames.Add(new Frame(reader.TokenType == JsonTokenType.StartArray));
                return null;
            case JsonTokenType.EndObject:
            case JsonTokenType.EndArray:
                frames.RemoveAt(frames.Count - 1);
                return null;
            case JsonTokenType.String:
                CountArrayItem(frames);
                return reader.ValueIsEscaped && !TryGetString(ref reader, out _) ? LoneSurrogate(utf8, reader.TokenStartIndex, Path(frames)) : null;
            default:
                CountArrayItem(frames);
                return null;
        }
    }

    // Only escaped text can hold a lone surrogate (raw UTF-8 cannot encode one); unescaping it is where the reader notices.
    private static bool TryGetString(ref Utf8JsonReader reader, out string value)
    {
        try
        {
            value = reader.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            value = string.Empty;
            return false;
        }
    }

    private static JsonProblem Duplicate(ReadOnlySpan<byte> utf8, long offset, string name, string path)
    {
        var (line, column) = Position(utf8, offset);
        var key = WebhookRequestValidator.Truncate(name, MaxKeyLength);
        return new JsonProblem("duplicate_key",
            $"The request body has the key '{key}' twice in one object, at {path} (line {line}, byte {column}); duplicate keys are refused " +
            "because readers disagree on which one counts. In a Braze webhook body write every value with | json_escape, e.g. \"{{${user_id} | json_escape}}\", so a quote inside a value cannot add a key.",
            new JsonObject { ["key"] = key, ["path"] = path, ["line"] = line, ["byte"] = column });
    }

    private static JsonProblem LoneSurrogate(ReadOnlySpan<byte> utf8, long offset, string path)
    {
        var (line, column) = Position(utf8, offset);
        return new JsonProblem("invalid_unicode_escape",
            $"The request body has an escaped lone surrogate (a \\uD800-\\uDFFF escape without its pair) at {path} (line {line}, byte {column}); " +
            "JSON strings must be Unicode text: pair a high surrogate (\\uD800-\\uDBFF) with a low one (\\uDC00-\\uDFFF), or send the character as UTF-8.",
            new JsonObject { ["path"] = path, ["line"] = line, ["byte"] = column });
    }

    private static void CountArrayItem(List<Frame> frames)
    {
        if (frames.Count > 0 && frames[^1].IsArray)
        {
            frames[^1].Index++;
        }
    }

    /// <summary>The JSON path of the current token, e.g. <c>$.attributes[0].user_id</c>; keys are shortened.</summary>
    private static string Path(List<Frame> frames)
    {
        var path = new StringBuilder("$");
        foreach (var frame in frames)
        {
            if (frame.IsArray)
            {
                path.Append('[').Append(Math.Max(frame.Index, 0).ToString(CultureInfo.InvariantCulture)).Append(']');
            }
            else if (frame.Property is { } property)
            {
                var key = WebhookRequestValidator.Truncate(property, MaxKeyLength);
                if (key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '$'))
                {
                    path.Append('.').Append(key);
                }
                else
                {
                    path.Append("['").Append(key.Replace("'", "\\'", StringComparison.Ordinal)).Append("']");
                }
            }
        }

        return WebhookRequestValidator.Truncate(path.ToString(), MaxPathLength);
    }

    /// <summary>1-based line and byte-in-line of <paramref name="offset"/>, the way the parser's own errors count.</summary>
    private static (int Line, int Byte) Position(ReadOnlySpan<byte> utf8, long offset)
    {
        var before = utf8[..(int)offset];
        var line = before.Count((byte)'\n') + 1;
        var lineStart = before.LastIndexOf((byte)'\n') + 1;
        return (line, (int)offset - lineStart + 1);
    }

    // The parser's own message ends with its position, which the reply already gives in 1-based form.
    private static string DescribeJsonError(JsonException ex)
    {
        var message = ex.Message;
        var at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return WebhookRequestValidator.Truncate(at > 0 ? message[..at] : message, 200);
    }

    private static string KindName(JsonTokenType? token) => token switch
    {
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        _ => "value",
    };

    private sealed class Frame(bool isArray)
    {
        public bool IsArray { get; } = isArray;

        /// <summary>Keys seen so far in an object; null for an array.</summary>
        public HashSet<string>? Names { get; } = isArray ? null : new HashSet<string>(StringComparer.Ordinal);

        /// <summary>The key whose value is being read (objects).</summary>
        public string? Property { get; set; }

        /// <summary>Index of the item being read (arrays); -1 before the first.</summary>
        public int Index { get; set; } = -1;
    }
}
