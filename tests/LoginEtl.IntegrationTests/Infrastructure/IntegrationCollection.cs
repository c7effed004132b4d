namespace LoginEtl.IntegrationTests.Infrastructure;

// The tests share one PostgreSQL server (one of them stops it) and two cores: they run one at a time.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IntegrationCollection
{
    public const string Name = "real services";
}
