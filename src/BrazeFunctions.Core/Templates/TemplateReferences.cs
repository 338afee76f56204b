using Fluid;
using Fluid.Ast;
using Fluid.Ast.BinaryExpressions;
using Fluid.Values;

namespace BrazeFunctions.Core.Templates;

/// <summary>
/// The payload fields a template reads, as paths (<c>["event_properties", "plan"]</c>), found in its body and its
/// idempotency key: <c>${name}</c> and <c>payload.x</c>, top-level names (every payload field is a variable), fields
/// tested with <c>payload contains 'x'</c>. Variables the template assigns or loops over, and the relay's own
/// (<c>route</c>, <c>message_id</c>, <c>received_at</c>), are not payload fields. A path stops at the first segment that
/// is not a literal name (an array index, a computed key).
/// </summary>
internal static class TemplateReferences
{
    private static readonly HashSet<string> RelayVariables = new(StringComparer.Ordinal) { "payload", "route", "message_id", "received_at", "forloop", "tablerowloop", "empty", "blank" };

    public static IReadOnlyList<IReadOnlyList<string>> Of(WebhookTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var locals = new LocalCollector();
        var collector = new PathCollector();
        foreach (var part in new[] { template.Body, template.IdempotencyKey }.OfType<IFluidTemplate>())
        {
            locals.VisitTemplate(part);
            collector.VisitTemplate(part);
        }

        return [.. collector.Paths
            .Where(p => p.Count > 0 && !(p.Root && locals.Names.Contains(p.Segments[0])))
            .Select(p => p.Segments)
            .DistinctBy(p => string.Join('\u0001', p), StringComparer.Ordinal)];
    }

    private sealed record Path(IReadOnlyList<string> Segments, bool Root)
    {
        public int Count => Segments.Count;
    }

    /// <summary>Visits what the loop rewrite hides from Fluid's visitors.</summary>
    private abstract class RelayAstVisitor : AstVisitor
    {
        public override Statement Visit(Statement statement)
        {
            if (statement is RubyForStatement ruby)
            {
                Visit(ruby.Source);
                VisitForStatement(ruby.Loop);
                return statement;
            }

            return base.Visit(statement);
        }
    }

    private sealed class LocalCollector : RelayAstVisitor
    {
        public HashSet<string> Names { get; } = new(StringComparer.Ordinal);

        protected override Statement VisitAssignStatement(AssignStatement assignStatement)
        {
            Names.Add(assignStatement.Identifier);
            return base.VisitAssignStatement(assignStatement);
        }

        // The relay registers its own capture block (BrazeLiquid): its identifier is the block's value.
        protected override Statement VisitParserBlockStatement<T>(Fluid.Parser.ParserBlockStatement<T> statement)
        {
            if (statement.TagName == "capture" && statement.Value is string name)
            {
                Names.Add(name);
            }

            return base.VisitParserBlockStatement(statement);
        }

        protected override Statement VisitCaptureStatement(CaptureStatement captureStatement)
        {
            Names.Add(captureStatement.Identifier);
            return base.VisitCaptureStatement(captureStatement);
        }

        protected override Statement VisitForStatement(ForStatement forStatement)
        {
            Names.Add(forStatement.Identifier);
            return base.VisitForStatement(forStatement);
        }

        protected override Statement VisitIncrementStatement(IncrementStatement incrementStatement)
        {
            Names.Add(incrementStatement.Identifier);
            return base.VisitIncrementStatement(incrementStatement);
        }
    }

    private sealed class PathCollector : RelayAstVisitor
    {
        public List<Path> Paths { get; } = [];

        protected override Expression VisitMemberExpression(MemberExpression memberExpression)
        {
            var all = memberExpression.Segments;
            if (all.Count > 0 && all[0] is IdentifierSegment { Identifier: { } first })
            {
                var fromPayload = first == "payload";
                if (fromPayload || !RelayVariables.Contains(first))
                {
                    var segments = fromPayload ? [] : new List<string> { first };
                    segments.AddRange(all.Skip(1).Select(Name).TakeWhile(n => n is not null).Select(n => n!));
                    Paths.Add(new Path(segments, !fromPayload));
                }
            }

            // A computed key reads variables of its own (props[key] reads key).
            foreach (var indexer in all.OfType<IndexerSegment>().Where(i => i.Expression is not LiteralExpression))
            {
                Visit(indexer.Expression);
            }

            return base.VisitMemberExpression(memberExpression);
        }

        protected override Expression VisitContainsBinaryExpression(ContainsBinaryExpression containsBinaryExpression)
        {
            if (containsBinaryExpression.Left is MemberExpression { Segments: [IdentifierSegment { Identifier: "payload" }] }
                && containsBinaryExpression.Right is LiteralExpression { Value: StringValue name })
            {
                Paths.Add(new Path([name.ToStringValue()], Root: false));
            }

            return base.VisitContainsBinaryExpression(containsBinaryExpression);
        }

        private static string? Name(MemberSegment segment) => segment switch
        {
            IdentifierSegment identifier => identifier.Identifier,
            IndexerSegment { Expression: LiteralExpression { Value: StringValue value } } => value.ToStringValue(),
            _ => null,
        };
    }
}
