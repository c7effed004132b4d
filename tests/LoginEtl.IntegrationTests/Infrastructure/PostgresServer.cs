using System.Diagnostics;
using Npgsql;

namespace LoginEtl.IntegrationTests.Infrastructure;

/// <summary>Stops and starts the test PostgreSQL server, as an outage would.</summary>
static class PostgresServer
{
    public static Task StopAsync() => PgCtlAsync("stop", "-m", "fast", "-w");

    public static async Task StartAsync()
    {
        await PgCtlAsync("start", "-w", "-t", "60", "-l", Path.Combine(TestServices.PostgresData, "server.log"));
        // The test's own pooled connections died with the server.
        NpgsqlConnection.ClearAllPools();
    }

    static async Task PgCtlAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("runuser") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-u", "postgres", "--", Path.Combine(TestServices.PostgresBin, "pg_ctl"), "-D", TestServices.PostgresData, .. arguments])
            start.ArgumentList.Add(argument);

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"pg_ctl {string.Join(' ', arguments)} failed: {output}");
    }
}
