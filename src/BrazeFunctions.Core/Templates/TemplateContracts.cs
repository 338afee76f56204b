using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Messages;

namespace BrazeFunctions.Core.Templates;

/// <summary>The result of rendering one envelope with its route's template.</summary>
public abstract record RenderOutcome
{
    private RenderOutcome()
    {
    }

    /// <summary>A Braze request ready to send: an allow-listed REST path and a JSON object body.</summary>
    public sealed record Rendered(string Endpoint, string BodyJson, string? IdempotencyKey) : RenderOutcome
    {
        /// <summary>Variables the template referenced that the payload did not have (names only); they rendered empty.</summary>
        public IReadOnlyList<string> MissingVariables { get; init; } = [];

        /// <summary>The Braze workspace the template sends to.</summary>
        public string Workspace { get; init; } = WebhookTemplate.DefaultWorkspace;

        /// <summary>False when the template says <c>coalesce: false</c>.</summary>
        public bool Coalesce { get; init; } = true;

        /// <summary>The template's <c>on_ambiguous</c>, when it declares one.</summary>
        public AmbiguousOutcomePolicy? OnAmbiguous { get; init; }
    }

    /// <summary>The template ran <c>{% abort_message('reason') %}</c>: not a delivery, not a failure.</summary>
    public sealed record Aborted(string Reason) : RenderOutcome;

    /// <summary>The template could not produce a valid request; <see cref="Error"/> names the route and the problem.</summary>
    public sealed record Failed(string Route, string Error, int? Line = null, int? Column = null) : RenderOutcome;
}

/// <summary>Turns a queued webhook into the Braze request its route's template describes.</summary>
internal interface IWebhookRenderer
{
    RenderOutcome Render(WebhookEnvelope envelope);
}
