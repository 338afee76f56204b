using System.CommandLine;
using BrazeFunctions.Core.Ingress;

namespace BrazeFunctions.Cli;

/// <summary><c>braze-webhook &lt;route&gt;</c>: the webhook settings to paste into Braze for one route.</summary>
internal static class BrazeWebhookCommand
{
    /// <summary>Shown instead of a real URL until <c>--app-url</c> names the Function App.</summary>
    public const string AppUrlPlaceholder = "https://<app>.azurewebsites.net";

    public static Command Create(CliConsole console, IDictionary<string, string?>? environment = null)
    {
        var route = new Argument<string>("route-or-file") { Description = "A route of the templates folder (e.g. attribute-from-event) or the path of a .liquid file." };
        var appUrl = StorageOptions.UriOption("--app-url", "The Function App's base URL (https://<app>.azurewebsites.net; http://localhost:7071 for a local run). Defaults to a placeholder.");
        var canvas = new Option<bool>("--canvas") { Description = "The webhook is a Canvas step: its Idempotency-Key names the step as well as the dispatch and the user." };
        var templates = TemplateFiles.TemplatesOption();
        var settings = StorageOptions.SettingsOption("A local.settings.json whose Ingress__SecretHeader and Ingress__SharedSecret say whether the shared-secret header is needed; defaults to the nearest one. The environment overrides it.");
        var command = new Command("braze-webhook",
            "Prints what to paste into a Braze webhook (campaign or Canvas step, Blank Template) for a route: the URL, the headers (function key, shared secret when one is set, " +
            "an Idempotency-Key that lets the relay drop Braze's retries) and a raw-text body sending every payload field the route's template reads. Secrets are placeholders, never values.")
        {
            route, appUrl, canvas, templates, settings,
        };
        command.SetAction(parse => Run(console, environment, parse.GetRequiredValue(route), parse.GetValue(appUrl), parse.GetValue(canvas), parse.GetValue(templates), parse.GetValue(settings)));
        return command;
    }

    private static int Run(CliConsole console, IDictionary<string, string?>? environment, string routeOrFile, Uri? appUrl, bool canvas, string? templatesDirectory, string? settingsFile)
    {
        CliSettings settings;
        try
        {
            settings = CliServices.Read(console, settingsFile, environment, new Dictionary<string, string?>());
        }
        catch (CliSettingsException ex)
        {
            console.Error.WriteLine("error: " + ex.Message);
            return ExitCodes.Usage;
        }

        var file = TemplateFiles.ResolveTemplateFile(console, routeOrFile, templatesDirectory);
        if (file is null)
        {
            return ExitCodes.Usage;
        }

        if (TemplateFiles.TryLoad(console, file) is not { } template)
        {
            return ExitCodes.TemplateError;
        }

        var setup = BrazeWebhookSetup.For(template, settings.Configuration, appUrl?.GetLeftPart(UriPartial.Path) ?? AppUrlPlaceholder, canvas);
        var output = console.Out;
        output.WriteLine($"Braze webhook for route {template.Route} ({template.Endpoint}, workspace {template.Workspace}); {(canvas ? "a Canvas step" : "a campaign")}, Blank Template");
        output.WriteLine();
        output.WriteLine("Webhook URL:");
        output.WriteLine("  " + setup.Url);
        output.WriteLine("HTTP method: POST");
        output.WriteLine("Request headers:");
        foreach (var header in setup.Headers)
        {
            output.WriteLine($"  {header.Name}: {header.Value}");
            output.WriteLine($"      ({header.Why})");
        }

        output.WriteLine("Request body (Raw text):");
        output.WriteLine(setup.Body);
        foreach (var field in setup.FillIn)
        {
            console.Error.WriteLine("fill in: " + field);
        }

        if (appUrl is null)
        {
            console.Error.WriteLine($"note: replace {AppUrlPlaceholder} with your Function App's address, or pass --app-url");
        }

        console.Error.WriteLine(canvas
            ? "note: in a campaign, use the campaign recipe instead (run without --canvas)"
            : "note: for a Canvas step, run with --canvas: the Idempotency-Key must also name the step");
        return ExitCodes.Ok;
    }
}
