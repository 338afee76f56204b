using System.Diagnostics.CodeAnalysis;
using BrazeFunctions.Core.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Templates;

/// <summary>
/// Every route template, parsed once when the catalog is built. It is the ingress's <see cref="IRouteCatalog"/>: a route
/// is known exactly when its template loaded.
/// </summary>
internal sealed class TemplateCatalog : IRouteCatalog
{
    private readonly Dictionary<string, WebhookTemplate> _templates;

    public TemplateCatalog(IOptions<TemplateCatalogOptions> options, ILogger<TemplateCatalog> logger)
        : this(options.Value.ResolveDirectory(), logger)
    {
    }

    private TemplateCatalog(string directory, ILogger logger)
    {
        try
        {
            _templates = LoadDirectory(directory);
        }
        catch (TemplateCatalogException ex)
        {
            foreach (var error in ex.Errors)
            {
                Log.TemplateLoadFailed(logger, error.File, error.Line, error.Column, error.Problem);
            }

            throw;
        }

        Directory = directory;
        Routes = [.. _templates.Keys.Order(StringComparer.Ordinal)];
        Log.TemplatesLoaded(logger, Routes.Count, directory, string.Join(", ", Routes));
    }

    public string Directory { get; }

    public IReadOnlyList<string> Routes { get; }

    public IEnumerable<WebhookTemplate> Templates => Routes.Select(r => _templates[r]);

    public bool TryResolve(string route, out string canonical)
    {
        var found = _templates.TryGetValue(route, out var template);
        canonical = found ? template!.Route : string.Empty;
        return found;
    }

    public bool TryGet(string route, [NotNullWhen(true)] out WebhookTemplate? template) => _templates.TryGetValue(route, out template);

    /// <summary>Loads every <c>*.liquid</c> file; all broken files are reported together.</summary>
    /// <exception cref="TemplateCatalogException">The folder is missing or empty, or a template is broken.</exception>
    public static Dictionary<string, WebhookTemplate> LoadDirectory(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            throw new TemplateCatalogException(directory, [],
                $"The template folder '{directory}' does not exist; set Templates:Directory (app setting Templates__Directory) to the folder of <route>.liquid files.");
        }

        var files = System.IO.Directory.GetFiles(directory, "*" + TemplateLoader.Extension).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            throw new TemplateCatalogException(directory, [], $"The template folder '{directory}' has no *.liquid templates, so no route would be accepted.");
        }

        var templates = new Dictionary<string, WebhookTemplate>(StringComparer.OrdinalIgnoreCase);
        var errors = new List<TemplateLoadException>();
        foreach (var file in files)
        {
            try
            {
                var template = TemplateLoader.LoadFile(file);
                if (!templates.TryAdd(template.Route, template))
                {
                    errors.Add(new TemplateLoadException(file, 1, 1, $"route '{template.Route}' is defined twice (names differ only in case)"));
                }
            }
            catch (TemplateLoadException ex)
            {
                errors.Add(ex);
            }
        }

        return errors.Count > 0 ? throw new TemplateCatalogException(directory, errors) : templates;
    }
}

/// <summary>Builds the catalog while the host starts, so a broken template stops start-up instead of failing the first message.</summary>
internal sealed class TemplateCatalogStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Building the singleton parses every template; a TemplateCatalogException here stops the host.
        services.GetRequiredService<TemplateCatalog>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
