using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;
using Microsoft.EntityFrameworkCore;

namespace LoginEtl.Tests;

public class PersistenceModelTests
{
    [Fact]
    public void The_migrations_match_the_model()
    {
        // EF Core refuses to migrate when the model has changes that no migration captures.
        using var db = new LoginDbContext(new DbContextOptionsBuilder<LoginDbContext>().UseNpgsql("Host=127.0.0.1;Database=unused").Options);

        Assert.False(db.Database.HasPendingModelChanges());
        Assert.Equal(["20261125000000_Initial", "20261125030000_MaskRecovery"], db.Database.GetMigrations());
    }

    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 20)]
    [InlineData(4, 80)]
    [InlineData(7, 600)]
    [InlineData(1_000_000, 600)]
    public void The_redelivery_delay_doubles_per_receive_up_to_its_ceiling(int receiveCount, int seconds)
    {
        var options = new SqsOptions { RedeliveryDelay = TimeSpan.FromSeconds(10), MaxRedeliveryDelay = TimeSpan.FromMinutes(10) };

        Assert.Equal(TimeSpan.FromSeconds(seconds), options.RedeliveryDelayFor(receiveCount));
    }
}
