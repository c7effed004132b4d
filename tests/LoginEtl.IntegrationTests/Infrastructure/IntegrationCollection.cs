namespace LoginEtl.IntegrationTests.Infrastructure;

// The tests share one PostgreSQL server, one SQS emulator and two cores. Two lanes run side by side, each one test at
// a time: a test of either lane has a database, queues and, where it runs one, a service process of its own, and
// most of a test's time is spent waiting (for a long poll, a drain, a visibility timeout). What cannot share the
// machine runs alone, after both lanes: the tests that stop the PostgreSQL server, that listen to every meter,
// activity or log of this process (an in-process service of the other lane would be heard too), or that time what
// a service does under its own load.
static class IntegrationCollection
{
    // Out-of-process services (the built login-etl), the benchmark, and the replicas of the crash tests.
    public const string Processes = "real services";

    // Services run in this process, none listened to from outside it.
    public const string InProcess = "real services, in this process";

    public const string Alone = "real services, alone";
}

[CollectionDefinition(IntegrationCollection.Processes)]
public sealed class ProcessesLane;

[CollectionDefinition(IntegrationCollection.InProcess)]
public sealed class InProcessLane;

[CollectionDefinition(IntegrationCollection.Alone, DisableParallelization = true)]
public sealed class AloneCollection;
