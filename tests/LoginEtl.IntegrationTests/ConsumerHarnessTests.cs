using LoginEtl.IntegrationTests.Infrastructure;
using LoginEtl.Worker.Consumers;
using LoginEtl.Worker.Contracts;
using LoginEtl.Worker.Hosting;
using LoginEtl.Worker.Logins;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LoginEtl.IntegrationTests;

/// <summary>The consumer on MassTransit's in-memory test harness, with the same bus configuration as the service.</summary>
[Collection(IntegrationCollection.InProcess)]
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

    [Fact]
    public async Task The_endpoint_s_pipeline_consumes_the_login_the_reader_read_and_reads_a_body_only_without_one()
    {
        await using var database = await TestDatabase.CreateAsync();
        var builder = LoginEtlHost.CreateBuilder([$"--ConnectionStrings:LoginDb={database.ConnectionString}", $"--Masking:Key={Etl.NewKey()}"]);
        builder.AddLoginEtlPipeline();
        using var host = builder.Build();
        await host.StartAsync();
        var dispatcher = host.Services.GetRequiredService<LoginEventDispatcherFactory>().Create("loginetl-harness-dispatch");
        var read = host.Services.GetRequiredService<LoginReader>().Read(
            """{"user_id": "read-once", "app_version": "2.3.0", "device_type": "ios", "ip": "198.51.100.9", "device_id": "123-45-6789", "locale": null}""",
            new SqsOptions().MaxBodyBytes, BodyShapes.Auto, out _);
        Assert.Null(read.Rejection);
        // Bytes that are no JSON at all: with the login read beside them, the pipeline has nothing to parse.
        var unreadable = "not json"u8.ToArray();
        DateTimeOffset now = DateTimeOffset.UtcNow;

        await dispatcher.Dispatch(unreadable, new Dictionary<string, object>(), CancellationToken.None,
            new LoginDelivery("m-read", now, new InboxKey("m-read", now), 1), read);
        var withoutRead = await Record.ExceptionAsync(() => dispatcher.Dispatch(unreadable, new Dictionary<string, object>(), CancellationToken.None,
            new LoginDelivery("m-unread", now, new InboxKey("m-unread", now), 1)));

        Assert.Equal("read-once", Assert.Single(await database.LoginsAsync()).UserId);
        Assert.NotNull(withoutRead);
        Assert.True(LoginEventFaults.TryClassify(withoutRead, out var rejection), withoutRead.ToString());
        Assert.Equal(InvalidKinds.MalformedJson, rejection.Kind);
        await host.StopAsync();
    }
}
