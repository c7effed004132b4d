using LoginEtl.IntegrationTests.Infrastructure;
using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Contracts;
using LoginEtl.Worker.Hosting;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LoginEtl.IntegrationTests;

/// <summary>The consumer on MassTransit's in-memory test harness, with the same bus configuration as the service.</summary>
[Collection(IntegrationCollection.Name)]
public class ConsumerHarnessTests
{
    [Fact]
    public async Task The_consumer_stores_a_valid_login_once_and_rejects_an_invalid_one_with_its_kind()
    {
        await using var database = await TestDatabase.CreateAsync();
        var builder = Host.CreateApplicationBuilder(
        [
            $"--ConnectionStrings:LoginDb={database.ConnectionString}",
            $"--Masking:Key={Etl.NewKey()}",
        ]);
        builder.AddLoginEtlPipeline();
        builder.Services.AddMassTransitTestHarness(x => x.AddLoginEtlConsumers());
        await using var provider = builder.Services.BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        // Starts the hosted services too: the bus, and the group-commit writer.
        await harness.Start();

        var valid = new LoginEvent
        {
            UserId = "harness-user", DeviceType = "android", Ip = "198.51.100.4", DeviceId = "123-45-6789",
            Locale = null, AppVersion = "0.2.6",
        };
        var messageId = NewId.NextGuid();
        await harness.Bus.Publish(valid, context => context.MessageId = messageId);
        await harness.Bus.Publish(valid, context => context.MessageId = messageId);
        await harness.Bus.Publish(valid with { UserId = "bad-version", AppVersion = "abc" });

        await harness.InactivityTask;

        var consumer = harness.GetConsumerHarness<LoginEventConsumer>();
        // The harness lists a message id once, however many times it was consumed.
        var outcomes = (await consumer.Consumed.SelectAsync<LoginEvent>().ToListAsync())
            .Select(x => (x.Context.Message.UserId, x.Exception)).ToList();
        Assert.Contains(outcomes, o => o.UserId == "harness-user" && o.Exception is null);
        Assert.DoesNotContain(outcomes, o => o.UserId == "harness-user" && o.Exception is not null);
        var rejected = Assert.IsType<LoginRejectedException>(Assert.Single(outcomes, o => o.UserId == "bad-version").Exception);
        Assert.Equal("invalid_app_version", rejected.Rejection.Kind);

        var row = Assert.Single(await database.LoginsAsync());
        Assert.Equal("harness-user", row.UserId);
        Assert.Equal(2_006, row.AppVersion);
        Assert.DoesNotContain("198.51.100.4", row.MaskedIp, StringComparison.Ordinal);
        await harness.Stop();
    }
}
