using System.CommandLine;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace LoginEtl.Worker.Commands;

/// <summary><c>login-etl migrate</c>: creates user_logins when missing and the service's own tables.</summary>
sealed class MigrateCommand : Command
{
    public MigrateCommand(string[] settings)
        : base("migrate", "Create user_logins (when missing) and the service's own tables; safe from several replicas at once.")
    {
        SetAction(_ => RunAsync(settings));
    }

    static async Task<int> RunAsync(string[] configurationArgs)
    {
        var builder = LoginEtlHost.CreateBuilder(configurationArgs);
        builder.AddLoginDbContext();
        using var host = LoginEtlHost.Build(builder);

        var contexts = host.Services.GetRequiredService<IDbContextFactory<LoginDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        try
        {
            var pending = (await db.Database.GetPendingMigrationsAsync()).ToList();
            await db.Database.MigrateAsync();
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
}
