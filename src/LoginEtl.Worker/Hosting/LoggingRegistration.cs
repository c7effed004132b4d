using Microsoft.Extensions.Logging.Console;

namespace LoginEtl.Worker.Hosting;

public static class LoggingRegistration
{
    /// <summary>
    /// The console, one readable line per event (UTC times), or JSON with <c>Logging__Console__FormatterName=json</c>
    /// (UTC ISO 8601 times, event ids, and the trace and span ids of the message being handled); either's options can
    /// be set under <c>Logging__Console__FormatterOptions</c>. Levels come from the Logging section, except that the
    /// console never shows MassTransit's own lines or EF Core's commands below Critical, whatever a provider-scoped
    /// rule such as <c>Logging__Console__LogLevel__Default=Trace</c> says: they are not the service's, and not held to
    /// its rule that no raw value reaches a log.
    /// </summary>
    public static IHostApplicationBuilder AddLoginEtlLogging(this IHostApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        // The host's defaults already bind Logging:Console to these options: what it leaves unset gets the service's default.
        var formatter = builder.Configuration.GetSection("Logging:Console:FormatterOptions");
        builder.Services.PostConfigure<ConsoleLoggerOptions>(options => options.FormatterName ??= ConsoleFormatterNames.Simple);
        builder.Services.PostConfigure<SimpleConsoleFormatterOptions>(options =>
        {
            options.SingleLine = formatter["SingleLine"] is null || options.SingleLine;
            options.TimestampFormat ??= "HH:mm:ss.fff ";
            options.UseUtcTimestamp = formatter["UseUtcTimestamp"] is null || options.UseUtcTimestamp;
        });
        builder.Services.PostConfigure<JsonConsoleFormatterOptions>(options =>
        {
            options.TimestampFormat ??= "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            options.UseUtcTimestamp = formatter["UseUtcTimestamp"] is null || options.UseUtcTimestamp;
            options.IncludeScopes = formatter["IncludeScopes"] is null || options.IncludeScopes;
        });
        builder.Logging.AddConsole();
        builder.Logging.Configure(options => options.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        builder.Logging.AddFilter<ConsoleLoggerProvider>("MassTransit", LogLevel.Critical);
        builder.Logging.AddFilter<ConsoleLoggerProvider>("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.Critical);
        return builder;
    }
}
