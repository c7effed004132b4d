using System.Runtime.Versioning;

// The real services are started by scripts/test.sh on Linux.
[assembly: SupportedOSPlatform("linux")]
[assembly: CollectionBehavior(DisableTestParallelization = true)]
