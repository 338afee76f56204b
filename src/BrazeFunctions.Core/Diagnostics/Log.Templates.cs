using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Diagnostics;

internal static partial class Log
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Loaded {TemplateCount} templates from {TemplateDirectory}: {Routes}")]
    public static partial void TemplatesLoaded(ILogger logger, int templateCount, string templateDirectory, string routes);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Critical, Message = "Template {TemplateFile} cannot be loaded at line {Line}, column {Column}: {Problem}")]
    public static partial void TemplateLoadFailed(ILogger logger, string templateFile, int line, int column, string problem);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Template {Route} referenced missing variable {VariableName} while rendering message {MessageId}; it rendered empty")]
    public static partial void TemplateVariableMissing(ILogger logger, string route, string variableName, string messageId);
}
