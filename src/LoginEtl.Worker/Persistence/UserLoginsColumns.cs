using Npgsql;

namespace LoginEtl.Worker.Persistence;

/// <summary>
/// The columns of user_logins the group commit copies in, with the types it writes them as. The table may have been
/// created by someone else before the service (<c>migrate</c> creates it only when missing), and a binary COPY takes
/// only the exact type of each column, where an insert would have converted: <c>login-etl run</c> checks them at
/// start rather than fail every commit.
/// </summary>
public static class UserLoginsColumns
{
    // Text and varchar are the same on the wire; a varchar's length is still the server's to enforce, a row at a time.
    static readonly (string Column, string[] Types)[] Written =
    [
        ("user_id", ["character varying", "text"]),
        ("device_type", ["character varying", "text"]),
        ("masked_ip", ["character varying", "text"]),
        ("masked_device_id", ["character varying", "text"]),
        ("locale", ["character varying", "text"]),
        ("app_version", ["integer"]),
        ("create_date", ["date"]),
    ];

    /// <summary>What is wrong with the table's columns, one line each; empty when the commit can write them.</summary>
    public static async Task<IReadOnlyList<string>> ProblemsAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var command = dataSource.CreateCommand("""
            SELECT attname, format_type(atttypid, NULL) FROM pg_attribute
            WHERE attrelid = 'user_logins'::regclass AND attnum > 0 AND NOT attisdropped
            """))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                types[reader.GetString(0)] = reader.GetString(1);
        }

        var problems = new List<string>();
        foreach (var (column, expected) in Written)
        {
            if (!types.TryGetValue(column, out var type))
                problems.Add($"user_logins has no column {column}");
            else if (!expected.Contains(type, StringComparer.Ordinal))
                problems.Add($"user_logins.{column} is {type}, where the service writes {expected[0]}");
        }

        return problems;
    }
}
