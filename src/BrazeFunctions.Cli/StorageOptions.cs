using System.CommandLine;
using BrazeFunctions.Core.Storage;
using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Cli;

/// <summary>
/// The options of every command that reads the relay's storage (<c>deadletter *</c>, <c>trace</c>): where the storage is
/// (a connection string, or an account or service URIs reached with <c>DefaultAzureCredential</c>), the outbox queue, the
/// settings file and the templates folder.
/// </summary>
internal sealed class StorageOptions
{
    private const string Connection = "AzureWebJobsStorage";

    private readonly Option<string?> _connection = new("--connection") { Description = "Storage connection string (Azurite: UseDevelopmentStorage=true). Overrides every other source of the connection." };
    private readonly Option<string?> _account = new("--account") { Description = "Storage account name, reached with your Azure identity (DefaultAzureCredential: az login, environment, managed identity); needs the queue and table data roles." };
    private readonly Option<Uri?> _queueServiceUri = UriOption("--queue-service-uri", "Queue service URI (https://<account>.queue.core.windows.net), reached with your Azure identity.");
    private readonly Option<Uri?> _tableServiceUri = UriOption("--table-service-uri", "Table service URI (https://<account>.table.core.windows.net) for the trace records, reached with your Azure identity.");
    private readonly Option<string?> _queue = new("--queue") { Description = $"Outbox queue name (the poison queue is <name>-poison); defaults to Outbox__QueueName or {OutboxOptions.DefaultQueueName}." };
    private readonly Option<string?> _settings = SettingsOption("A local.settings.json whose Values to read; defaults to ./local.settings.json, else src/BrazeFunctions/local.settings.json at or above the current directory. The environment overrides it, the options above override both.");
    private readonly Option<string?> _templates = new("--templates", "-t") { Description = "The templates folder (replay checks workspaces); defaults to Templates__Directory or the nearest templates/ folder." };

    /// <summary>The <c>--settings</c>/<c>-s</c> option every command has.</summary>
    public static Option<string?> SettingsOption(string description) => new("--settings", "-s") { Description = description };

    /// <summary>An option holding an absolute http(s) URI; anything else is a parse error (exit 1) naming the option.</summary>
    public static Option<Uri?> UriOption(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[0].Value;
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http")
            {
                return uri;
            }

            result.AddError($"{name} '{text}' is not an absolute http(s) URI.");
            return null;
        },
    };

    /// <summary>The option that sets a connection setting, for "from the command line (--account)".</summary>
    public static string OptionFor(string key) => key[(key.IndexOf(':', StringComparison.Ordinal) + 1)..] switch
    {
        "accountName" => "--account",
        "queueServiceUri" => "--queue-service-uri",
        "tableServiceUri" => "--table-service-uri",
        _ => "--connection",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_connection);
        command.Options.Add(_account);
        command.Options.Add(_queueServiceUri);
        command.Options.Add(_tableServiceUri);
        command.Options.Add(_queue);
        command.Options.Add(_settings);
        command.Options.Add(_templates);
    }

    /// <summary>The settings file and the settings the options override; null values are not set.</summary>
    /// <exception cref="CliUsageException">A connection string and identity options were both given.</exception>
    public (string? SettingsFile, Dictionary<string, string?> Overrides) Read(ParseResult parse)
    {
        var connection = parse.GetValue(_connection);
        var account = parse.GetValue(_account);
        var queueUri = parse.GetValue(_queueServiceUri);
        var tableUri = parse.GetValue(_tableServiceUri);
        if (connection is not null && (account is not null || queueUri is not null || tableUri is not null))
        {
            throw new CliUsageException("--connection takes a connection string; --account, --queue-service-uri and --table-service-uri use your Azure identity instead. Give one or the other.");
        }

        return (parse.GetValue(_settings), new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            [Connection] = connection,
            [Connection + ":accountName"] = account,
            [Connection + ":queueServiceUri"] = queueUri?.AbsoluteUri,
            [Connection + ":tableServiceUri"] = tableUri?.AbsoluteUri,
            [$"{OutboxOptions.Section}:QueueName"] = parse.GetValue(_queue),
            [$"{TemplateCatalogOptions.Section}:Directory"] = parse.GetValue(_templates),
        });
    }

    /// <summary>
    /// Runs a storage command: reads the settings, says on standard error which storage it uses and from where, builds the
    /// relay's services and maps what can go wrong to an exit code and one line naming the problem.
    /// </summary>
    public async Task<int> RunAsync(
        CliConsole console, ParseResult parse, IDictionary<string, string?>? environment, Action<ILoggingBuilder>? logging, Func<IServiceProvider, Task<int>> action)
    {
        try
        {
            var (file, overrides) = Read(parse);
            var settings = CliServices.Read(console, file, environment, overrides);
            console.Error.WriteLine(settings.Describe());
            await using var services = CliServices.Build(settings, logging);
            return await action(services).ConfigureAwait(false);
        }
        catch (CliUsageException ex)
        {
            console.Error.WriteLine("error: " + ex.Message);
            return ExitCodes.Usage;
        }
        catch (CliSettingsException ex)
        {
            console.Error.WriteLine("error: " + ex.Message);
            return ExitCodes.Usage;
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("is not configured", StringComparison.Ordinal))
        {
            console.Error.WriteLine("error: no storage connection: pass --connection, --account or --queue-service-uri (and --table-service-uri), or set AzureWebJobsStorage. " + ex.Message);
            return ExitCodes.Usage;
        }
        catch (OptionsValidationException ex)
        {
            console.Error.WriteLine("error: " + string.Join(" ", ex.Failures));
            return ExitCodes.Usage;
        }
        catch (TemplateCatalogException ex)
        {
            console.Error.WriteLine("error: replay checks each dead letter against its route's template (workspace): pass --templates <dir> or set Templates__Directory. " + ex.Message);
            return ExitCodes.Usage;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or UriFormatException)
        {
            console.Error.WriteLine($"error: the storage connection (--connection or AzureWebJobsStorage) is not valid ({ex.GetType().Name})");
            return ExitCodes.Usage;
        }
        catch (Azure.Identity.AuthenticationFailedException ex)
        {
            console.Error.WriteLine($"error: your Azure identity could not get a token for storage ({ex.GetType().Name}): sign in with 'az login' (or set AZURE_CLIENT_ID and friends), or pass --connection");
            return ExitCodes.StorageError;
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 403)
        {
            console.Error.WriteLine($"error: storage answered 403 {ex.ErrorCode}: your identity needs the Storage Queue Data Contributor and Storage Table Data Contributor roles on the account (the deployment's operatorPrincipalId parameter grants them)");
            return ExitCodes.StorageError;
        }
        catch (Exception ex) when (StorageFailure.Is(ex))
        {
            console.Error.WriteLine($"error: storage {StorageFailure.Describe(ex)}: the queues could not be read");
            return ExitCodes.StorageError;
        }
    }
}

/// <summary>Options that cannot be used together, or are missing; the message says what to give.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
