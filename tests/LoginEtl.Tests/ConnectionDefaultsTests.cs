using LoginEtl.Worker.Hosting;
using Npgsql;

namespace LoginEtl.Tests;

public class ConnectionDefaultsTests
{
    [Fact]
    public void A_connection_string_that_says_nothing_gets_prepared_statements_and_no_reset()
    {
        var tuned = new NpgsqlConnectionStringBuilder(LoginDatabaseRegistration.WithServiceDefaults("Host=db;Username=etl;Password=secret;Database=logins"));

        Assert.Equal(20, tuned.MaxAutoPrepare);
        Assert.True(tuned.NoResetOnClose);
        Assert.Equal("db", tuned.Host);
        Assert.Equal("secret", tuned.Password);
        Assert.Equal("logins", tuned.Database);
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData("Host=db;maxautoprepare=0;noresetonclose=false")]
    public void Settings_the_connection_string_names_are_kept(string connectionString)
    {
        var tuned = new NpgsqlConnectionStringBuilder(LoginDatabaseRegistration.WithServiceDefaults(connectionString));

        Assert.Equal(0, tuned.MaxAutoPrepare);
        Assert.False(tuned.NoResetOnClose);
    }
}
