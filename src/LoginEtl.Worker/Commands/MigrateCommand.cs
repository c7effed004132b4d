using System.CommandLine;
using System.Net.Sockets;
using LoginEtl.Worker.Aws;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace LoginEtl.Worker.Commands;

/// <summary>
/// <c>login-etl migrate [--wait SECONDS]</c>: creates user_logins when missing and the service's own tables. A database
/// that does not accept connections yet (starting up, or its port still closed, as beside a container being
/// initialised) is tried again with the service's back-off for up to <c>--wait</c> seconds.
/// </summary>
sealed class MigrateCommand : Command
{
    readonly Option<int> _wait = new("--wait")
    {
        Description = "Seconds to keep trying while the database does not accept connections yet (0: fail at once).",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 60,
        CustomParser = result => NumberArgument.Parse(result, "--wait", 0, 3_600, "a whole number from 0 to 3600"),
    };

    public MigrateCommand(string[] settings)
        : base("migrate", "Create user_logins (when missing) and the service's own tables; safe from several replicas at once.")
    {
        Options.Add(_wait);
        SetAction(parsed => RunAsync(TimeSpan.FromSeconds(parsed.GetValue(_wait)), settings));
    }

    static async Task<int> RunAsync(TimeSpan wait, string[] configurationArgs)
    {
        var builder = LoginEtlHost.CreateBuilder(configurationArgs);
        builder.AddLoginDbContext();
        using var host = LoginEtlHost.Build(builder);

        var contexts = host.Services.GetRequiredService<IDbContextFactory<LoginDbContext>>();
        using var waiting = new CancellationTokenSource(wait);
        var retrying = Backoff.Forever(
            ex => IsNotAcceptingYet(ex) && !waiting.IsCancellationRequested,
            (ex, delay) => Console.Error.WriteLine($"login-etl migrate: the database does not accept connections yet ({Describe(ex)}); trying again in {delay.TotalSeconds:F1} s"));
        try
        {
            // The wait bounds the retries, never a migration under way.
            var pending = await retrying.ExecuteAsync(async token =>
            {
                await using var db = await contexts.CreateDbContextAsync(token);
                var pending = (await db.Database.GetPendingMigrationsAsync(token)).ToList();
                await db.Database.MigrateAsync(token);
                return pending;
            }, CancellationToken.None);
            Console.WriteLine(pending.Count == 0
                ? "The database is up to date."
                : $"Applied {pending.Count} migration(s): {string.Join(", ", pending)}");
            return 0;
        }
        catch (NpgsqlException ex)
        {
            throw new StartupException($"cannot migrate the database (ConnectionStrings__LoginDb): {ex.Message}", ex);
        }
    }

    // A server that is not there yet, or is starting, shutting down or recovering; not a wrong password or database.
    static bool IsNotAcceptingYet(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState is PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.AdminShutdown
            or PostgresErrorCodes.CrashShutdown || postgres.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException { InnerException: SocketException or IOException or TimeoutException } => true,
        SocketException or TimeoutException => true,
        _ => exception.InnerException is { } inner && IsNotAcceptingYet(inner),
    };

    static string Describe(Exception exception) =>
        exception is PostgresException postgres ? $"{postgres.SqlState}" : (exception.InnerException ?? exception).GetType().Name;
}
