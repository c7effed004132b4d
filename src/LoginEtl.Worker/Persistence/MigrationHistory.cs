using Npgsql;

namespace LoginEtl.Worker.Persistence;

/// <summary>
/// The migrations this build carries, by id, and which of them a database has not applied, read from EF Core's
/// history table with plain Npgsql. <c>login-etl run</c> checks the schema this way so that it never loads EF Core:
/// its assemblies, its model and the code compiled for them are a fifth of an idle replica's memory, for one query at
/// start. EF Core still owns the schema (<c>login-etl migrate</c>); a test holds <see cref="Ids"/> equal to the
/// migrations EF Core finds.
/// </summary>
public static class MigrationHistory
{
    /// <summary>EF Core's history table, which <c>migrate</c> creates and fills (unqualified: the search path's schema).</summary>
    public const string Table = "__EFMigrationsHistory";

    /// <summary>Every migration in Migrations/, oldest first.</summary>
    public static readonly IReadOnlyList<string> Ids =
    [
        "20261125000000_Initial",
        "20261125030000_MaskRecovery",
        "20261125040000_Outbox",
        "20261130000000_InboxWindow",
    ];

    /// <summary>The ids of <see cref="Ids"/> the database has not applied (all of them when it has no history table).</summary>
    public static async Task<IReadOnlyList<string>> PendingAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var applied = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await using var command = dataSource.CreateCommand($"""SELECT "MigrationId" FROM "{Table}" """);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                applied.Add(reader.GetString(0));
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return Ids;
        }

        return Ids.Where(id => !applied.Contains(id)).ToList();
    }
}
