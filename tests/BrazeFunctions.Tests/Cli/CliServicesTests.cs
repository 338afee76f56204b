using BrazeFunctions.Cli;

namespace BrazeFunctions.Tests.Cli;

public sealed class CliServicesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cli-settings-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ReadValues_LocalSettings_ReadsDoubleUnderscoreAsTheSectionSeparator()
    {
        var file = Path.Combine(_dir, CliServices.LocalSettingsFile);
        File.WriteAllText(file, "{ \"IsEncrypted\": false, \"Values\": { \"AzureWebJobsStorage\": \"UseDevelopmentStorage=true\", \"Outbox__QueueName\": \"my-outbox\", \"Ingress__MaxBodyBytes\": 1000 } }");

        var values = CliServices.ReadValues(file);

        Assert.Equal("UseDevelopmentStorage=true", values["AzureWebJobsStorage"]);
        Assert.Equal("my-outbox", values["Outbox:QueueName"]);
        Assert.Equal("1000", values["Ingress:MaxBodyBytes"]);
    }

    [Theory]
    [InlineData("{ \"Values\": [] }", "no \"Values\" object")]
    [InlineData("{ \"Values\": ", "not JSON")]
    public void ReadValues_NotALocalSettingsFile_NamesTheFileAndTheProblem(string text, string expected)
    {
        var file = Path.Combine(_dir, "broken.json");
        File.WriteAllText(file, text);

        var ex = Assert.Throws<CliSettingsException>(() => CliServices.ReadValues(file));

        Assert.Contains(file, ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindLocalSettings_AppFolderAboveTheWorkingDirectory_IsFound()
    {
        var app = Directory.CreateDirectory(Path.Combine(_dir, "src", "BrazeFunctions")).FullName;
        File.WriteAllText(Path.Combine(app, CliServices.LocalSettingsFile), "{}");
        var deeper = Directory.CreateDirectory(Path.Combine(_dir, "tools", "x")).FullName;

        Assert.Equal(Path.Combine(app, CliServices.LocalSettingsFile), CliServices.FindLocalSettings(deeper));
    }
}
