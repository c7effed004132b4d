using Amazon.SQS.Model;
using LoginEtl.IntegrationTests.Infrastructure;
using LoginEtl.Worker.Masking;
using LoginEtl.Worker.Persistence;
using LoginEtl.Worker.Sqs;

namespace LoginEtl.IntegrationTests;

/// <summary>
/// Dead letters go back with `login-etl redrive` and keep their identity: a message is stored once however often it
/// comes back, and a producer cannot borrow an identity to suppress a message of its own.
/// </summary>
[Collection(IntegrationCollection.InProcess)]
public class RedriveTests
{
    static async Task<Cli.Result> RunAsync(params string[] arguments)
    {
        var result = await Cli.RunAsync(arguments);
        Assert.True(result.ExitCode == 0, $"login-etl {arguments[0]} exited {result.ExitCode}:\n{result.Error}\n{result.Output}");
        return result;
    }

    /// <summary>Lets SQS itself move every message of the queue to its dead-letter queue (maxReceiveCount 1), as a crash storm would.</summary>
    static async Task ParkAllAsync(TestQueues queues, int count)
    {
        var received = new HashSet<string>();
        while (received.Count < count)
        {
            var response = await queues.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(queues.Url) { MaxNumberOfMessages = 10, VisibilityTimeout = 1, WaitTimeSeconds = 1 });
            received.UnionWith((response.Messages ?? []).Select(m => m.MessageId));
        }

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await Eventually.HoldsAsync(async () =>
        {
            await queues.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(queues.Url) { MaxNumberOfMessages = 10, WaitTimeSeconds = 0 });
            return await queues.DepthAsync(queues.Url) == 0 && await queues.DepthAsync(queues.DeadLetterUrl) == count;
        }, "SQS moved every message to the dead-letter queue");
    }

    static async Task<long> VisibleAsync(TestQueues queues, string url) =>
        (await queues.Sqs.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessages"])).ApproximateNumberOfMessages;

    [Fact]
    public async Task Redrive_moves_dead_letters_back_with_their_body_the_producer_s_attributes_and_their_identity()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var key = Etl.NewKey();
        var bodies = Enumerable.Range(0, 5).Select(i => $$"""{"user_id": "u{{i}}", "device_type": "ios", "ip": "10.0.0.{{i}}", "device_id": "1", "locale": null, "app_version": "v{{i}}"}""").ToList();
        var ids = new List<string>();
        foreach (var body in bodies)
        {
            ids.Add((await queues.Sqs.SendMessageAsync(new SendMessageRequest(queues.Url, body)
            {
                MessageAttributes = new() { ["producer"] = new MessageAttributeValue { DataType = "String", StringValue = "mobile-gateway" } },
            })).MessageId);
        }

        Assert.Equal(0, await Etl.DrainAsync(database, queues, key));
        Assert.Equal(5, await queues.DepthAsync(queues.DeadLetterUrl));
        var settings = Etl.Settings(database, queues, key);

        var one = await RunAsync(["redrive", "--max", "2", .. settings]);
        Assert.Contains("Moved 2 message(s)", one.Output, StringComparison.Ordinal);
        Assert.Equal(3, await queues.DepthAsync(queues.DeadLetterUrl));
        Assert.Equal(2, await queues.DepthAsync(queues.Url));
        var all = await RunAsync(["redrive", .. settings]);
        Assert.Contains("Moved 3 message(s)", all.Output, StringComparison.Ordinal);
        Assert.Equal(0, await queues.DepthAsync(queues.DeadLetterUrl));

        var redriven = new List<Message>();
        while (redriven.Count < 5)
        {
            var response = await queues.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(queues.Url) { MaxNumberOfMessages = 10, MessageAttributeNames = ["All"], WaitTimeSeconds = 1 });
            redriven.AddRange(response.Messages ?? []);
        }

        Assert.Equal(bodies.Order(), redriven.Select(m => m.Body).Order());
        Assert.All(redriven, m => Assert.Equal("mobile-gateway", m.MessageAttributes["producer"].StringValue));
        Assert.All(redriven, m => Assert.Equal([MessageIdentity.Attribute],
            m.MessageAttributes.Keys.Where(k => k.StartsWith("loginetl.", StringComparison.Ordinal))));
        // The identity is the first delivery's id, not the dead letter's nor the redriven copy's.
        Assert.Equal(ids.Order(), redriven.Select(m => m.MessageAttributes[MessageIdentity.Attribute].StringValue.Split(':', 5)[4]).Order());
    }

    [Fact]
    public async Task A_stored_message_whose_delete_failed_and_that_SQS_parked_is_stored_once_after_a_redrive()
    {
        const int count = 20;
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync(maxReceiveCount: 1, visibilityTimeoutSeconds: 2);
        await using var proxy = new TcpProxy(new Uri(TestServices.SqsServiceUrl).Port);
        await queues.SendAsync(SampleLogins.Generate(count, seed: 21).Select(SampleLogins.ToJson));
        var settings = Etl.Settings(database, queues, Etl.NewKey());

        using (var service = EtlProcess.Start(["run", .. settings, $"--Sqs:ServiceUrl=http://127.0.0.1:{proxy.Port}"]))
        {
            await using (await InboxLock.TakeAsync(database))
            {
                await Eventually.HoldsAsync(async () =>
                    (await queues.Sqs.GetQueueAttributesAsync(queues.Url, ["ApproximateNumberOfMessagesNotVisible"])).ApproximateNumberOfMessagesNotVisible == count,
                    $"the service holds every message\n{service.Output}");
                // SQS becomes unreachable while the rows commit: the deletes fail.
                proxy.Cut();
            }

            await Eventually.HoldsAsync(async () => await database.ScalarAsync<long>("SELECT count(*) FROM user_logins") == count, "the rows are committed");
            await Task.Delay(TimeSpan.FromSeconds(3));
            proxy.Restore();
            // The next receive finds every message past maxReceiveCount: SQS moves them to the dead-letter queue.
            await Eventually.HoldsAsync(async () => await queues.DepthAsync(queues.DeadLetterUrl) == count && await queues.DepthAsync(queues.Url) == 0,
                $"SQS parked the stored messages\n{service.Output}");
            service.Terminate();
            await service.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.Contains("Could not settle", service.Output, StringComparison.Ordinal);
        }

        var redrive = await RunAsync(["redrive", .. settings]);
        Assert.Contains($"Moved {count} message(s)", redrive.Output, StringComparison.Ordinal);
        var drain = await RunAsync(["run", "--drain", .. settings]);

        Assert.Equal(((long)count, 0L, (long)count), EtlProcess.ParseSummary(drain.Output + drain.Error));
        Assert.Equal(count, await database.ScalarAsync<long>("SELECT count(*) FROM user_logins"));
        Assert.Equal(0, await queues.DepthAsync(queues.Url));
        Assert.Equal(0, await queues.DepthAsync(queues.DeadLetterUrl));
    }

    [Fact]
    public async Task A_message_left_on_both_queues_by_an_interrupted_redrive_and_redriven_again_is_stored_once()
    {
        const int count = 10;
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync(maxReceiveCount: 1);
        await queues.SendAsync(SampleLogins.Generate(count, seed: 22).Select(SampleLogins.ToJson));
        await ParkAllAsync(queues, count);
        var settings = Etl.Settings(database, queues, Etl.NewKey());

        await using (var proxy = new SqsFaultProxy("DeleteMessageBatch"))
        {
            var interrupted = await Cli.RunAsync(["redrive", .. settings, $"--Sqs:ServiceUrl={proxy.Url}"]);
            Assert.True(interrupted.ExitCode == 1, interrupted.Error + interrupted.Output);
            Assert.True(proxy.Failed > 0);
            Assert.Contains("login-etl: redrive stopped after moving", interrupted.Error, StringComparison.Ordinal);
        }

        Assert.Equal(count, await queues.DepthAsync(queues.Url));
        // Released by the interrupted redrive: visible again at once, not after the hold.
        Assert.Equal(count, await VisibleAsync(queues, queues.DeadLetterUrl));
        var again = await RunAsync(["redrive", .. settings]);
        Assert.Contains($"Moved {count} message(s)", again.Output, StringComparison.Ordinal);
        Assert.Equal(2 * count, await queues.DepthAsync(queues.Url));
        var drain = await RunAsync(["run", "--drain", .. settings]);

        Assert.Equal((2L * count, (long)count, (long)count), EtlProcess.ParseSummary(drain.Output + drain.Error));
        Assert.Equal(count, await database.ScalarAsync<long>("SELECT count(*) FROM user_logins"));
        Assert.Equal(count, await database.ScalarAsync<long>("SELECT count(DISTINCT user_id) FROM user_logins"));
        Assert.Equal(0, await queues.DepthAsync(queues.DeadLetterUrl));
    }

    [Fact]
    public async Task A_forged_or_borrowed_identity_attribute_does_not_suppress_a_new_message()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var key = Etl.NewKey();
        var settings = Etl.Settings(database, queues, key);
        var stored = SampleLogins.OfUser("stored-first");
        var storedId = (await queues.SendAsync([stored, """{"foo": "oops_wrong_msg_type"}"""]))[0];
        await RunAsync(["run", "--drain", .. settings]);
        var storedSentAt = await database.ScalarAsync<DateTime>("SELECT sent_at FROM loginetl_inbox");
        var realToken = Assert.Single(await queues.DrainDeadLettersAsync()).MessageAttributes[MessageIdentity.Attribute].StringValue;

        // The stored message's own identity, signed with a key of the service's key id that is not the service's key.
        var keyId = MaskingKeyRing.Load(new MaskingOptions { Key = key }).Active.Id;
        var forger = new MessageIdentity(MaskingKeyRing.Load(new MaskingOptions { Key = Etl.NewKey(), KeyId = keyId }));
        var forged = forger.Sign(new InboxKey(storedId, new DateTimeOffset(storedSentAt, TimeSpan.Zero)), stored);
        await queues.Sqs.SendMessageAsync(new SendMessageRequest(queues.Url, stored)
        {
            MessageAttributes = new() { [MessageIdentity.Attribute] = new MessageAttributeValue { DataType = "String", StringValue = forged } },
        });
        // A real identity, taken from a dead letter, on another body.
        await queues.Sqs.SendMessageAsync(new SendMessageRequest(queues.Url, SampleLogins.OfUser("borrowed"))
        {
            MessageAttributes = new() { [MessageIdentity.Attribute] = new MessageAttributeValue { DataType = "String", StringValue = realToken } },
        });
        var drain = await RunAsync(["run", "--drain", .. settings]);

        Assert.Equal((2L, 2L, 0L), EtlProcess.ParseSummary(drain.Output + drain.Error));
        Assert.Equal(2, (drain.Output + drain.Error).Split("attribute that does not verify").Length - 1);
        Assert.Equal(["borrowed", "stored-first", "stored-first"], (await database.LoginsAsync()).Select(r => r.UserId).Order());
    }

    [Fact]
    public async Task Redrive_with_a_kind_moves_only_the_dead_letters_of_that_kind_and_dead_letters_summarises_them_without_consuming()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync(maxReceiveCount: 1);
        var settings = Etl.Settings(database, queues, Etl.NewKey());
        var parkedIds = await queues.SendAsync([SampleLogins.OfUser("parked-1"), SampleLogins.OfUser("parked-2")]);
        await ParkAllAsync(queues, 2);
        var missingIds = await queues.SendAsync(Enumerable.Range(0, 4).Select(i => $$"""{"user_id": "m{{i}}", "ip": "10.9.8.7"}"""));
        var versionIds = await queues.SendAsync([SampleLogins.Json(userId: "\"bad-version\"", appVersion: "\"x.y\"")]);
        await RunAsync(["run", "--drain", .. settings]);
        Assert.Equal(7, await queues.DepthAsync(queues.DeadLetterUrl));

        var summary = await RunAsync(["dead-letters", .. settings]);

        var lines = summary.Output.Split('\n');
        Assert.StartsWith($"{queues.DeadLetterName}: 7 dead letter(s)", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^missing_field\s+4\s", Assert.Single(lines, l => l.StartsWith("missing_field", StringComparison.Ordinal)));
        Assert.Matches(@"^max_receive_count\s+2\s", Assert.Single(lines, l => l.StartsWith("max_receive_count", StringComparison.Ordinal)));
        Assert.Matches(@"^invalid_app_version\s+1\s", Assert.Single(lines, l => l.StartsWith("invalid_app_version", StringComparison.Ordinal)));
        Assert.Matches(@"^under 1 hour\s+7$", Assert.Single(lines, l => l.StartsWith("under 1 hour", StringComparison.Ordinal)));
        Assert.All(parkedIds.Concat(versionIds), id => Assert.Contains(id, summary.Output, StringComparison.Ordinal));
        Assert.Equal(3, missingIds.Count(id => summary.Output.Contains(id, StringComparison.Ordinal)));
        Assert.DoesNotContain("10.9.8.7", summary.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("parked-1", summary.Output, StringComparison.Ordinal);
        Assert.Equal(7, await VisibleAsync(queues, queues.DeadLetterUrl));

        var parked = await RunAsync(["redrive", "--kind", "max_receive_count", .. settings]);
        Assert.Contains("Moved 2 message(s)", parked.Output, StringComparison.Ordinal);
        Assert.Contains("5 of other kinds left", parked.Output, StringComparison.Ordinal);
        Assert.Equal(5, await VisibleAsync(queues, queues.DeadLetterUrl));
        Assert.Equal(2, await queues.DepthAsync(queues.Url));
        await RunAsync(["run", "--drain", .. settings]);

        Assert.Equal(["parked-1", "parked-2"], (await database.LoginsAsync()).Select(r => r.UserId).Order());
        var left = await queues.DrainDeadLettersAsync();
        Assert.Equal(missingIds.Concat(versionIds).Order(), left.Select(m => m.MessageAttributes["loginetl.original-message-id"].StringValue).Order());
    }

    [Fact]
    public async Task Copies_of_one_dead_letter_count_once_and_redrive_moves_one_of_them()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var key = Etl.NewKey();
        var settings = Etl.Settings(database, queues, key);
        await queues.SendAsync(["""{"foo": "oops_wrong_msg_type"}""", """{"bar": 1}"""]);
        await RunAsync(["run", "--drain", .. settings]);
        // A replica stopped between the dead-letter queue's answer and its delete: the next delivery dead-letters the
        // message again, with the same identity.
        var first = (await queues.DrainDeadLettersAsync()).OrderBy(m => m.Body, StringComparer.Ordinal).ToList();
        await queues.Sqs.PurgeQueueAsync(queues.DeadLetterUrl);
        foreach (var letter in first.Append(first[0]).Append(first[0]))
            await queues.Sqs.SendMessageAsync(new SendMessageRequest(queues.DeadLetterUrl, letter.Body) { MessageAttributes = letter.MessageAttributes });
        Assert.Equal(4, await queues.DepthAsync(queues.DeadLetterUrl));

        var summary = await RunAsync(["dead-letters", .. settings]);
        var redrive = await RunAsync(["redrive", .. settings]);

        Assert.StartsWith($"{queues.DeadLetterName}: 2 dead letter(s)", summary.Output, StringComparison.Ordinal);
        Assert.Contains("(2 more copies of the same, counted once", summary.Output, StringComparison.Ordinal);
        Assert.Matches(@"\nmissing_field\s+2\s", summary.Output);
        Assert.Contains($"Moved 2 message(s) from {queues.DeadLetterName} to {queues.Name}; 2 more copies of messages moved deleted", redrive.Output, StringComparison.Ordinal);
        Assert.Equal(2, await queues.DepthAsync(queues.Url));
        Assert.Equal(0, await queues.DepthAsync(queues.DeadLetterUrl));
    }

    [Fact]
    public async Task Dead_letters_and_redrive_go_through_more_large_dead_letters_than_their_memory_holds()
    {
        const int count = 400, size = 240 * 1024;
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var settings = Etl.Settings(database, queues, Etl.NewKey());
        // 94 MiB of bodies, 188 MiB as .NET strings, against a heap of 96 MiB.
        foreach (var chunk in Enumerable.Range(0, count).Chunk(3))
        {
            await queues.Sqs.SendMessageBatchAsync(new SendMessageBatchRequest(queues.DeadLetterUrl,
                chunk.Select(i => new SendMessageBatchRequestEntry($"m{i}", $"{i} " + new string('x', size))).ToList()));
        }

        var limited = new Dictionary<string, string?> { ["DOTNET_GCHeapHardLimit"] = "0x6000000" };
        var summary = await Cli.RunAsync(["dead-letters", .. settings], environment: limited);
        var redrive = await Cli.RunAsync(["redrive", "--kind", "too_large", .. settings], environment: limited);

        Assert.True(summary.ExitCode == 0, summary.Error);
        Assert.StartsWith($"{queues.DeadLetterName}: {count} dead letter(s)", summary.Output, StringComparison.Ordinal);
        Assert.True(redrive.ExitCode == 0, redrive.Error);
        Assert.Contains($"Moved 0 message(s) from {queues.DeadLetterName} to {queues.Name} (kind too_large; {count} of other kinds left)", redrive.Output, StringComparison.Ordinal);
        Assert.Equal(count, await VisibleAsync(queues, queues.DeadLetterUrl));
    }

    [Fact]
    public async Task Redrive_with_a_key_that_did_not_sign_the_identities_says_so_and_moves_the_messages_as_new()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var ids = await queues.SendAsync(["""{"foo": 1}""", """{"bar": 2}"""]);
        await RunAsync(["run", "--drain", .. Etl.Settings(database, queues, Etl.NewKey())]);

        var redrive = await RunAsync(["redrive", .. Etl.Settings(database, queues, Etl.NewKey())]);

        Assert.Contains("Moved 2 message(s)", redrive.Output, StringComparison.Ordinal);
        Assert.Contains("redrive: 2 message(s) carried an identity that does not verify under the configured keys", redrive.Error, StringComparison.Ordinal);
        var moved = new List<Message>();
        while (moved.Count < 2)
            moved.AddRange((await queues.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(queues.Url) { MaxNumberOfMessages = 10, MessageAttributeNames = ["All"], WaitTimeSeconds = 1 })).Messages ?? []);
        Assert.DoesNotContain(moved, m => ids.Contains(m.MessageAttributes[MessageIdentity.Attribute].StringValue.Split(':', 5)[4]));
    }
}
