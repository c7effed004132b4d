using System.Data.Common;
using LoginEtl.Worker.Outbox;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Telemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace LoginEtl.Worker.Hosting;

public static class LoginDatabaseRegistration
{
    public const string ConnectionStringName = "LoginDb";

    /// <summary>The name of the service's connection pool in Npgsql's metrics (<c>db_client_connection_pool_name</c>).</summary>
    public const string DataSourceName = "login-etl";

    /// <summary>
    /// PostgreSQL through <c>ConnectionStrings__LoginDb</c>: its data source and the group-commit writer, all on
    /// plain Npgsql. EF Core is not registered here (see <see cref="AddLoginDbContext"/>), so <c>run</c> never loads it.
    /// </summary>
    public static IHostApplicationBuilder AddLoginDatabase(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new StartupException($"ConnectionStrings__{ConnectionStringName} is not set");

        var tuned = WithServiceDefaults(connectionString);
        // One data source for the writer (a DbContext per commit cost more CPU than the commit's statement), the
        // start-up checks, the health check and EF Core where a command uses it. Named, because Npgsql otherwise names
        // its pool metrics after the connection string, host, database and user included. Made by the container, so
        // that its pool is closed with the host.
        builder.Services.AddSingleton(_ => new NpgsqlDataSourceBuilder(tuned) { Name = DataSourceName }.Build());

        builder.Services.AddOptions<WriterOptions>().BindConfiguration(WriterOptions.Section).ValidateSettings().ValidateOnStart();
        builder.Services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.Section).ValidateSettings().ValidateOnStart();
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.TryAddSingleton<LoginEtlTelemetry>();
        builder.Services.AddSingleton<DatabaseAvailability>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DatabaseAvailability>());
        builder.Services.AddSingleton<LoginWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LoginWriter>());
        return builder;
    }

    /// <summary>
    /// The database with EF Core over the same data source, for the commands that use its model: <c>migrate</c>
    /// (EF Core owns the schema) and <c>unmask</c>. A method of its own, so that compiling <see cref="AddLoginDatabase"/>
    /// loads none of EF Core's assemblies.
    /// </summary>
    public static IHostApplicationBuilder AddLoginDbContext(this IHostApplicationBuilder builder)
    {
        builder.AddLoginDatabase();
        builder.Services.AddDbContextFactory<LoginDbContext>((services, options) => options.UseNpgsql(services.GetRequiredService<NpgsqlDataSource>()));
        return builder;
    }

    /// <summary>
    /// The connection string with the service's defaults where it says nothing: statements prepared once per
    /// connection (<c>Max Auto Prepare=20</c>: the group commit's statement is parsed and planned once, not at
    /// every commit) and no session reset when a pooled connection is reused (<c>No Reset On Close=true</c>:
    /// the service sets no session state). Either is kept as given when the string names it, e.g.
    /// <c>Max Auto Prepare=0</c> behind a pooler that cannot hold prepared statements.
    /// </summary>
    public static string WithServiceDefaults(string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var tuned = new NpgsqlConnectionStringBuilder(connectionString);
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
            tuned.MaxAutoPrepare = 20;
        if (!given.ContainsKey("No Reset On Close") && !given.ContainsKey("NoResetOnClose"))
            tuned.NoResetOnClose = true;
        return tuned.ConnectionString;
    }
}
