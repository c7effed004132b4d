namespace LoginEtl.Worker.Hosting;

public static class LoggingRegistration
{
    /// <summary>One line per event on the console; levels come from the Logging section.</summary>
    public static IHostApplicationBuilder AddLoginEtlLogging(this IHostApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss.fff ";
            options.UseUtcTimestamp = true;
        });
        return builder;
    }
}
