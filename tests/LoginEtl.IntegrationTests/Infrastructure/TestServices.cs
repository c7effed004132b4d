namespace LoginEtl.IntegrationTests.Infrastructure;

/// <summary>
/// Where the real PostgreSQL and SQS emulator of this run live. scripts/test.sh starts both on free loopback ports and
/// exports these variables; without them the tests use the usual local defaults (PostgreSQL on 5432 as postgres, an
/// SQS emulator on LocalStack's 4566), as a developer running one test from an IDE against their own services would.
/// Only the tests that stop and start PostgreSQL need the script's own server.
/// </summary>
static class TestServices
{
    public static string PostgresAdmin =>
        Environment.GetEnvironmentVariable("LOGINETL_PG_ADMIN") is { Length: > 0 } value ? value : "Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres";

    public static string SqsServiceUrl =>
        Environment.GetEnvironmentVariable("Sqs__ServiceUrl") is { Length: > 0 } value ? value : "http://127.0.0.1:4566";

    public static string PostgresBin => Require("LOGINETL_PGBIN");

    public static string PostgresData => Require("LOGINETL_PGDATA");

    static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set: run the integration tests through ./scripts/test.sh, which starts PostgreSQL and the SQS emulator");
}
