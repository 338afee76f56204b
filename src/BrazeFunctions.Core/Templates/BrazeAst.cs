using Fluid;
using Fluid.Ast;
using Fluid.Values;

namespace BrazeFunctions.Core.Templates;

/// <summary>Checks and rewrites of a parsed template that make it behave as Ruby Liquid does.</summary>
internal static class BrazeAst
{
    /// <summary>Every filter name the template applies, wherever it appears (outputs, assign, echo, liquid, loops).</summary>
    public static HashSet<string> FilterNames(IFluidTemplate template)
    {
        var collector = new FilterNameCollector();
        collector.VisitTemplate(template);
        return collector.Names;
    }

    /// <summary>Replaces every <c>for</c> loop by one with Ruby's limit/offset and string semantics.</summary>
    public static IFluidTemplate RubyLoops(IFluidTemplate template, IReadOnlyList<string> loopLiterals) =>
        new LoopRewriter(loopLiterals).VisitTemplate(template);

    private sealed class FilterNameCollector : AstVisitor
    {
        public HashSet<string> Names { get; } = new(StringComparer.Ordinal);

        protected override Expression VisitFilterExpression(FilterExpression filterExpression)
        {
            Names.Add(filterExpression.Name);
            return base.VisitFilterExpression(filterExpression);
        }
    }

    private sealed class LoopRewriter(IReadOnlyList<string> loopLiterals) : AstRewriter
    {
        protected override Statement VisitForStatement(ForStatement forStatement)
        {
            var visited = base.VisitForStatement(forStatement);
            if (visited is not ForStatement loop || loop.OffsetIsContinue)
            {
                return visited;
            }

            var source = loop.Source is MemberExpression { Segments: [IdentifierSegment { Identifier: var name }] }
                && name.StartsWith("__relay_for_literal_", StringComparison.Ordinal)
                && int.TryParse(name.AsSpan("__relay_for_literal_".Length), out var index) && index < loopLiterals.Count
                    ? new LiteralExpression(StringValue.Create(loopLiterals[index]))
                    : loop.Source;
            return new RubyForStatement(loop, source);
        }
    }
}

/// <summary>
/// A <c>for</c> loop as Ruby Liquid runs it: <c>offset</c> and <c>limit</c> cut the collection first, so
/// <c>forloop.index</c> and <c>forloop.length</c> count the items actually visited; a string is one item, not characters.
/// </summary>
internal sealed class RubyForStatement(ForStatement loop, Expression source) : Statement
{
    /// <summary>The loop as parsed (for visitors, which do not know this statement).</summary>
    public ForStatement Loop => loop;

    /// <summary>The collection it walks.</summary>
    public Expression Source => source;

    public override async ValueTask<Completion> WriteToAsync(TextWriter writer, System.Text.Encodings.Web.TextEncoder encoder, TemplateContext context)
    {
        var collection = await (source ?? loop.Range as Expression ?? throw new InvalidOperationException("a for loop without a collection")).EvaluateAsync(context);
        List<FluidValue> items = collection switch
        {
            StringValue or JsonTextValue => collection.ToStringValue().Length == 0 ? [] : [collection],
            NilValue or EmptyValue or BlankValue => [],
            _ => [.. collection.Enumerate(context)],
        };

        var from = loop.Offset is null ? 0 : Math.Max(0, RubyNumbers.ToInteger(await loop.Offset.EvaluateAsync(context), "for offset"));
        var segment = items.Skip(from);
        if (loop.Limit is not null)
        {
            segment = segment.Take(Math.Max(0, RubyNumbers.ToInteger(await loop.Limit.EvaluateAsync(context), "for limit")));
        }

        var sliced = segment.ToList();
        if (loop.Reversed)
        {
            sliced.Reverse();
        }

        var plain = new ForStatement(loop.Statements, loop.Identifier, new LiteralExpression(new ArrayValue(sliced)), null, null, false, loop.Else);
        return await plain.WriteToAsync(writer, encoder, context);
    }
}
