using System.Net.Sockets;
using LoginEtl.Worker.Persistence;
using Npgsql;

namespace LoginEtl.Tests;

/// <summary>Which failed writes pause consuming (the database refuses writes) and which are one row's or one race's.</summary>
public class DatabaseRefusalTests
{
    static PostgresException Postgres(string sqlState) => new("refused", "ERROR", "ERROR", sqlState);

    [Theory]
    [InlineData("25006")] // read-only transaction: a failover to a stale endpoint, default_transaction_read_only
    [InlineData("53100")] // disk full
    [InlineData("53200")] // out of memory
    [InlineData("53300")] // too many connections
    [InlineData("53400")] // configuration limit exceeded
    [InlineData("42501")] // permission denied: a revoked grant
    [InlineData("42P01")] // a table gone
    [InlineData("57P01")] // admin shutdown
    [InlineData("57P03")] // cannot connect now
    [InlineData("08006")] // connection failure
    [InlineData("3D000")] // no such database
    [InlineData("28P01")] // authentication failed
    [InlineData("57014")] // statement timeout
    public void A_refusal_that_is_no_rows_fault_pauses_consuming(string sqlState)
    {
        Assert.True(DatabaseAvailability.IsRefusal(Postgres(sqlState)));
        Assert.True(DatabaseAvailability.IsRefusal(new InvalidOperationException("wrapped", Postgres(sqlState))));
    }

    [Theory]
    [InlineData("22001")] // a value too long for its column
    [InlineData("22P05")] // untranslatable character
    [InlineData("23505")] // unique violation
    [InlineData("23502")] // not null violation
    [InlineData("40P01")] // deadlock: the writer tries again
    [InlineData("40001")] // serialization failure
    public void A_row_s_fault_or_a_lost_race_does_not(string sqlState)
    {
        Assert.False(DatabaseAvailability.IsRefusal(Postgres(sqlState)));
    }

    [Fact]
    public void An_unreachable_server_pauses_consuming_and_a_bug_does_not()
    {
        Assert.True(DatabaseAvailability.IsRefusal(new NpgsqlException("connection refused", new SocketException(111))));
        Assert.True(DatabaseAvailability.IsRefusal(new TimeoutException()));
        Assert.True(DatabaseAvailability.IsRefusal(new IOException()));
        Assert.False(DatabaseAvailability.IsRefusal(new InvalidOperationException("a bug")));
        Assert.False(DatabaseAvailability.IsRefusal(new ArgumentNullException("x")));
    }
}
