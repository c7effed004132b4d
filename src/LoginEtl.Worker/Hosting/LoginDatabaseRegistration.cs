using LoginEtl.Worker.Outbox;
using LoginEtl.Worker.Persistence;
using Microsoft.EntityFrameworkCore;

namespace LoginEtl.Worker.Hosting;

public static class LoginDatabaseRegistration
{
    public const string ConnectionStringName = "LoginDb";

    /// <summary>EF Core on PostgreSQL through <c>ConnectionStrings__LoginDb</c>, and the group-commit writer.</summary>
    public static IHostApplicationBuilder AddLoginDatabase(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new StartupException($"ConnectionStrings__{ConnectionStringName} is not set");

        builder.Services.AddDbContextFactory<LoginDbContext>(options => options.UseNpgsql(connectionString));

        builder.Services.AddOptions<WriterOptions>().BindConfiguration(WriterOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.Section);
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.AddSingleton<DatabaseAvailability>();
        builder.Services.AddSingleton<LoginWriter>();
        return builder;
    }
}
