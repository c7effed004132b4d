namespace LoginEtl.IntegrationTests.Infrastructure;

/// <summary>
/// Where the real PostgreSQL and SQS emulator of this run live. scripts/test.sh starts both on free loopback
/// ports and exports these variables; without them the tests fail with a message saying so.
/// </summary>
static class TestServices
{
    public static string PostgresAdmin => Require("LOGINETL_PG_ADMIN");

    public static string SqsServiceUrl => Require("Sqs__ServiceUrl");

    public static string PostgresBin => Require("LOGINETL_PGBIN");

    public static string PostgresData => Require("LOGINETL_PGDATA");

    static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set: run the integration tests through ./scripts/test.sh, which starts PostgreSQL and the SQS emulator");
}
