namespace LoginEtl.Worker.Hosting;

public static class LoginEtlHost
{
    /// <summary>
    /// A host builder whose appsettings.json is the one beside the executable, wherever it is started from,
    /// with the standard chain over it: environment (Section__Key) and command line (--Section:Key=value).
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.AddLoginEtlLogging();
        return builder;
    }
}
