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

    [Fact]
    public void Read_IdentityInTheEnvironment_WinsWholeOverAConnectionStringInTheFile()
    {
        var file = WriteSettings("{ \"Values\": { \"AzureWebJobsStorage\": \"UseDevelopmentStorage=true\", \"Outbox__QueueName\": \"my-outbox\" } }");

        var settings = CliServices.Read(Console(), file, new Dictionary<string, string?> { ["AzureWebJobsStorage__queueServiceUri"] = "https://relaystore.queue.core.windows.net" }, NoOptions);

        Assert.Null(settings.Configuration["AzureWebJobsStorage"]);
        Assert.Equal("https://relaystore.queue.core.windows.net", settings.Configuration["AzureWebJobsStorage:queueServiceUri"]);
        // Everything else still comes from the file.
        Assert.Equal("my-outbox", settings.Configuration["Outbox:QueueName"]);
        Assert.Equal("the environment (AzureWebJobsStorage__queueServiceUri)", settings.StorageSource);
        Assert.StartsWith("storage: identity (DefaultAzureCredential", settings.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_OptionsWinOverTheEnvironmentAndTheFile()
    {
        var file = WriteSettings("{ \"Values\": { \"AzureWebJobsStorage\": \"UseDevelopmentStorage=true\" } }");

        var settings = CliServices.Read(Console(), file, new Dictionary<string, string?> { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" },
            new Dictionary<string, string?> { ["AzureWebJobsStorage:accountName"] = "relaystore", ["AzureWebJobsStorage"] = null });

        Assert.Null(settings.Configuration["AzureWebJobsStorage"]);
        Assert.Equal("the command line (--account)", settings.StorageSource);
        Assert.Contains("queue https://relaystore.queue.core.windows.net, table https://relaystore.table.core.windows.net", settings.StorageDescription, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_OnlyTheFileSetsIt_TheFileIsNamed()
    {
        var file = WriteSettings("{ \"Values\": { \"AzureWebJobsStorage\": \"DefaultEndpointsProtocol=https;AccountName=relaystore;AccountKey=c2VjcmV0LWtleS1ub3Qtc2hvd24=;EndpointSuffix=core.windows.net\" } }");

        var settings = CliServices.Read(Console(), file, null, NoOptions);

        Assert.Equal($"{file} (AzureWebJobsStorage)", settings.StorageSource);
        Assert.Equal("connection string, account relaystore (shared key, not shown)", settings.StorageDescription);
        Assert.DoesNotContain("c2VjcmV0", settings.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NamedSettingsFileMissing_NamesIt()
    {
        var missing = Path.Combine(_dir, "nope.json");

        var ex = Assert.Throws<CliSettingsException>(() => CliServices.Read(Console(), missing, null, NoOptions));

        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
    }

    private static readonly Dictionary<string, string?> NoOptions = [];

    private CliConsole Console() => new(new StringReader(string.Empty), TextWriter.Null, TextWriter.Null, _dir);

    private string WriteSettings(string text)
    {
        var file = Path.Combine(_dir, CliServices.LocalSettingsFile);
        File.WriteAllText(file, text);
        return file;
    }
}
