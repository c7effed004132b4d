using System.Runtime.Versioning;

// The real services are started by scripts/test.sh on Linux.
[assembly: SupportedOSPlatform("linux")]
// Two lanes of test collections at once (Infrastructure/IntegrationCollection.cs).
[assembly: CollectionBehavior(MaxParallelThreads = 2)]
