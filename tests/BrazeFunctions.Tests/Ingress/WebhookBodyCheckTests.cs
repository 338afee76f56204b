using System.Text;
using BrazeFunctions.Core.Ingress;
using Microsoft.Extensions.Configuration;

namespace BrazeFunctions.Tests.Ingress;

/// <summary>The one body validator the ingress and the CLI's render share.</summary>
public sealed class WebhookBodyCheckTests
{
    [Fact]
    public void Check_GoodObject_PassesWithItsTextAndUtf8Length()
    {
        var problem = WebhookBodyCheck.Check(Encoding.UTF8.GetBytes("{\"name\":\"Zoë\"}"), null, 1000, out var body);

        Assert.Null(problem);
        Assert.Equal("{\"name\":\"Zoë\"}", body!.Text);
        Assert.Equal(15, body.Utf8Bytes);
    }

    [Fact]
    public void Check_DuplicateKey_Is400NamingTheKeyLineAndByte()
    {
        var problem = WebhookBodyCheck.Check(Encoding.UTF8.GetBytes("{\n  \"user_id\": \"a\",\n  \"user_id\": \"b\"\n}"), null, 1000, out var body);

        Assert.Null(body);
        Assert.Equal((400, "duplicate_key"), (problem!.Status, problem.Error));
        Assert.Contains("'user_id' twice", problem.Message, StringComparison.Ordinal);
        Assert.Contains("line 3, byte 3", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_LoneSurrogate_Is400()
    {
        var problem = WebhookBodyCheck.Check(Encoding.UTF8.GetBytes("{\"a\":\"\\ud800\"}"), null, 1000, out _);

        Assert.Equal("invalid_unicode_escape", problem?.Error);
    }

    [Fact]
    public void Check_InvalidJson_NamesLineAndByte()
    {
        var problem = WebhookBodyCheck.Check(Encoding.UTF8.GetBytes("{\n  \"a\": 1,\n  \"b\": }"), null, 1000, out _);

        Assert.Equal("invalid_json", problem?.Error);
        Assert.Contains("at line 3, byte 8", problem!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_LargerThanTheLimit_Is413()
    {
        var problem = WebhookBodyCheck.Check(Encoding.UTF8.GetBytes("{\"a\":\"" + new string('x', 100) + "\"}"), null, 50, out _);

        Assert.Equal((413, "payload_too_large"), (problem!.Status, problem.Error));
        Assert.Contains("larger than 50 bytes", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "empty_body")]
    [InlineData("[1]", "not_an_object")]
    public void Check_NotOneObject_Is400(string text, string error)
    {
        Assert.Equal(error, WebhookBodyCheck.Check(Encoding.UTF8.GetBytes(text), null, 1000, out _)?.Error);
    }

    [Fact]
    public void MaxBodyBytes_FromTheIngressSettingElseTheDefault()
    {
        var configured = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Ingress:MaxBodyBytes"] = "1234" }).Build();

        Assert.Equal(1234, WebhookBodyCheck.MaxBodyBytes(configured));
        Assert.Equal(1024 * 1024, WebhookBodyCheck.MaxBodyBytes(new ConfigurationBuilder().Build()));
    }
}
