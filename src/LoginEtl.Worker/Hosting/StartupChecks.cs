using System.Net.Sockets;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LoginEtl.Worker.Hosting;

/// <summary>
/// What <c>login-etl run</c> checks before it takes a message: every setting valid, the database reachable
/// and migrated, both queues there. Each failure is a <see cref="StartupException"/> with one line to read.
/// </summary>
public static class StartupChecks
{
    public static void ValidateOptions<TOptions>(IServiceProvider services)
        where TOptions : class
    {
        try
        {
            _ = services.GetRequiredService<IOptions<TOptions>>().Value;
        }
        catch (OptionsValidationException ex)
        {
            throw new StartupException(string.Join("; ", ex.Failures));
        }
        catch (InvalidOperationException ex)
        {
            // Binding failures name the setting, e.g. "Failed to convert configuration value at 'Sqs:Pollers'".
            throw new StartupException(ex.Message);
        }
    }

    public static async Task EnsureDatabaseReadyAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var contexts = services.GetRequiredService<IDbContextFactory<LoginDbContext>>();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        try
        {
            var pending = await db.Database.GetPendingMigrationsAsync(cancellationToken);
            if (pending.Any())
                throw new StartupException("the database is not migrated: run `login-etl migrate` first");
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
        {
            throw new StartupException($"cannot reach PostgreSQL (ConnectionStrings__LoginDb): {ex.Message}", ex);
        }
    }

    public static async Task EnsureQueuesExistAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        await services.GetRequiredService<SqsQueues>().ResolveAsync(cancellationToken);
}
