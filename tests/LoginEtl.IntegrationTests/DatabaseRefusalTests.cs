using System.Diagnostics;
using System.Net;
using LoginEtl.IntegrationTests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace LoginEtl.IntegrationTests;

/// <summary>
/// A database that answers but refuses writes (read-only after a failover, a revoked grant, no connection to be had)
/// while a backlog waits on a queue with maxReceiveCount 3: the replica stops being ready and stops consuming, nothing
/// valid is dead-lettered, and once the refusal ends every login is one row, with no redrive.
/// </summary>
[Collection(IntegrationCollection.Processes)]
public class DatabaseRefusalTests(ITestOutputHelper output)
{
    const int Backlog = 2_000;

    // One batch of ten in flight, each commit held a little: the backlog lasts long enough to be cut in the middle.
    static readonly string[] Throttle = ["--Sqs:Pollers=1", "--Sqs:MaxInFlight=10", "--Writer:BatchWait=00:00:00.020", "--Sqs:WaitTimeSeconds=1"];

    public static TheoryData<string> Refusals => ["read-only", "insert revoked", "connections exhausted"];

    // Run in the test's database, or (where that database may refuse the statement itself) in the server's own.
    static (string Refuse, string Allow, bool InDatabase) Statements(string refusal, string database, string role) => refusal switch
    {
        "read-only" => ($"ALTER DATABASE {database} SET default_transaction_read_only = on; {Terminate(role)}",
            $"ALTER DATABASE {database} SET default_transaction_read_only = off", false),
        "insert revoked" => ($"REVOKE INSERT ON user_logins FROM {role}", $"GRANT INSERT ON user_logins TO {role}", true),
        "connections exhausted" => ($"ALTER ROLE {role} CONNECTION LIMIT 0; {Terminate(role)}", $"ALTER ROLE {role} CONNECTION LIMIT -1", false),
        _ => throw new ArgumentOutOfRangeException(nameof(refusal)),
    };

    static string Terminate(string role) => $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'";

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_database_that_refuses_writes_pauses_consuming_and_dead_letters_nothing_valid(string refusal)
    {
        await using var database = await TestDatabase.CreateAsync();
        var (role, asRole) = await database.CreateRoleAsync();
        try
        {
            await RunThroughAsync(database, role, asRole, refusal);
        }
        finally
        {
            await AdminAsync($"ALTER DATABASE {database.Name} SET default_transaction_read_only = off");
            await database.DropRoleAsync(role);
        }
    }

    async Task RunThroughAsync(TestDatabase database, string role, string asRole, string refusal)
    {
        await using var queues = await TestQueues.CreateAsync(maxReceiveCount: 3);
        await queues.SendAsync(SampleLogins.Generate(Backlog, seed: 31).Select(SampleLogins.ToJson));
        var settings = Etl.Settings(database, queues, Etl.NewKey()).Select(s => s.StartsWith("--ConnectionStrings:LoginDb=", StringComparison.Ordinal)
            ? $"--ConnectionStrings:LoginDb={asRole}" : s).Where(s => !s.StartsWith("--Health:Port=", StringComparison.Ordinal)).ToArray();
        var port = FreePort.Next();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
        using var etl = EtlProcess.Start(["run", .. settings, .. Throttle, $"--Health:Port={port}"]);
        var (refuse, allow, inDatabase) = Statements(refusal, database.Name, role);
        var where = inDatabase ? database.Name : null;

        await Eventually.HoldsAsync(async () => await ReadyAsync(http) == HttpStatusCode.OK, "the replica is ready");
        await Eventually.HoldsAsync(async () => await RowsAsync(database) >= 50, "the replica is storing the backlog");
        await AdminAsync(refuse, where);
        var refused = Stopwatch.StartNew();
        await Eventually.HoldsAsync(async () => await ReadyAsync(http) == HttpStatusCode.ServiceUnavailable, "the replica is not ready",
            TimeSpan.FromSeconds(20));
        output.WriteLine($"{refusal}: not ready {refused.Elapsed.TotalSeconds:F1} s after the refusal");
        // Refused for longer than three redeliveries would take: none of them happens while the database refuses.
        await Task.Delay(TimeSpan.FromSeconds(8));
        var storedWhileRefused = await RowsAsync(database);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await ReadyAsync(http));
        Assert.Equal(0, await queues.DepthAsync(queues.DeadLetterUrl));
        Assert.True(storedWhileRefused < Backlog, "the backlog was stored before the refusal took effect");

        await AdminAsync(allow, where);
        await Eventually.HoldsAsync(async () => await RowsAsync(database) == Backlog, $"every login is stored after the {refusal} ends",
            TimeSpan.FromMinutes(2));
        await Eventually.HoldsAsync(async () => await ReadyAsync(http) == HttpStatusCode.OK, "the replica is ready again");
        etl.Terminate();
        await etl.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(etl.ExitCode == 0, etl.Output);
        Assert.Equal(Backlog, await database.ScalarAsync<long>("SELECT count(DISTINCT user_id) FROM user_logins"));
        Assert.Equal(0, await queues.DepthAsync(queues.DeadLetterUrl));
        Assert.Equal(0, await queues.DepthAsync(queues.Url));
        Assert.Contains("The database refuses writes", etl.Output, StringComparison.Ordinal);
        Assert.Contains("The database takes writes again", etl.Output, StringComparison.Ordinal);
    }

    static async Task<long> RowsAsync(TestDatabase database) => await database.ScalarAsync<long>("SELECT count(*) FROM user_logins");

    static async Task<HttpStatusCode?> ReadyAsync(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync("/health/ready");
            return response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    static Task AdminAsync(string sql, string? database = null) => TestDatabase.AdminAsync(sql, database);
}
