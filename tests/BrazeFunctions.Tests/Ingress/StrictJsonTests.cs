using System.Text;
using System.Text.Json;
using BrazeFunctions.Core.Ingress;

namespace BrazeFunctions.Tests.Ingress;

public sealed class StrictJsonTests
{
    [Theory]
    [InlineData("{}")]
    [InlineData("{\"user_id\":\"u1\",\"event_properties\":{\"plan\":\"gold\"}}")]
    [InlineData("{\"a\":[{\"k\":1},{\"k\":2}]}")]
    [InlineData("{\"emoji\":\"\\ud83d\\ude00\"}")]
    public void Check_AStrictObject_HasNoProblem(string json)
    {
        Assert.Null(Check(json));
    }

    [Fact]
    public void Check_AKeyTwiceAtDepth_NamesTheKeyItsPathLineAndByte()
    {
        var problem = Check("{\"x\":{\"b\":[1,{\"k\":1,\n  \"k\":2}]}}");

        Assert.NotNull(problem);
        Assert.Equal("duplicate_key", problem.Error);
        Assert.Equal("k", problem.Extra!["key"]!.GetValue<string>());
        Assert.Equal("$.x.b[1].k", problem.Extra["path"]!.GetValue<string>());
        Assert.Equal((2, 3), (problem.Extra["line"]!.GetValue<int>(), problem.Extra["byte"]!.GetValue<int>()));
    }

    [Fact]
    public void Check_AnEscapedSpellingOfTheSameKey_IsADuplicate()
    {
        Assert.Equal("duplicate_key", Check("{\"a\\u0062\":1,\"ab\":2}")?.Error);
    }

    [Fact]
    public void Check_SameKeyInSiblingObjects_IsNotADuplicate()
    {
        Assert.Null(Check("{\"a\":{\"k\":1},\"b\":{\"k\":1}}"));
    }

    [Theory]
    [InlineData("{\"a\":\"\\ud800\"}", "$.a")]
    [InlineData("{\"list\":[\"ok\",\"\\udc00x\"]}", "$.list[1]")]
    [InlineData("{\"\\ud800\":1}", "$ (a property name)")]
    public void Check_AnEscapedLoneSurrogate_IsRefusedWithItsPath(string json, string path)
    {
        var problem = Check(json);

        Assert.Equal("invalid_unicode_escape", problem?.Error);
        Assert.Equal(path, problem!.Extra!["path"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("[1,2]", "array")]
    [InlineData("\"text\"", "string")]
    [InlineData("42", "number")]
    [InlineData("null", "null")]
    public void Check_ARootThatIsNotAnObject_IsNotAnObject(string json, string kind)
    {
        var problem = Check(json);

        Assert.Equal("not_an_object", problem?.Error);
        Assert.Contains("a JSON " + kind, problem!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_InvalidJson_GivesOneBasedLineAndByte()
    {
        var problem = Check("{\n\"a\":1,}");

        Assert.Equal("invalid_json", problem?.Error);
        Assert.Contains("line 2, byte 7", problem!.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_DeeperThanTheLimit_IsInvalidJson()
    {
        Assert.Equal("invalid_json", StrictJson.Check(Encoding.UTF8.GetBytes("{\"a\":{\"b\":{\"c\":1}}}"), maxDepth: 2)?.Error);
    }

    /// <summary>
    /// Why the duplicate check is written by hand: .NET's own (AllowDuplicateProperties = false) finds the key but says
    /// nowhere where it is, and the ingress promises the JSON path, line and byte. When this fails, .NET has started to
    /// report positions and StrictJson can lean on it.
    /// </summary>
    [Fact]
    public void JsonDocument_DuplicatePropertyError_CarriesNoPosition()
    {
        var error = Assert.ThrowsAny<JsonException>(() =>
            JsonDocument.Parse("{\"x\":{\"k\":1,\"k\":2}}", new JsonDocumentOptions { AllowDuplicateProperties = false }));

        Assert.Null(error.Path);
        Assert.Null(error.LineNumber);
        Assert.Null(error.BytePositionInLine);
    }

    private static JsonProblem? Check(string json) => StrictJson.Check(Encoding.UTF8.GetBytes(json), maxDepth: 64);
}
