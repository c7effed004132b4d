using System.Globalization;
using System.Text;
using Amazon.SQS.Model;
using Xunit.Abstractions;
using LoginEtl.IntegrationTests.Infrastructure;
using LoginEtl.Testing;

namespace LoginEtl.IntegrationTests;

/// <summary>Thousands of malformed, oversized and adversarial bodies: the service never crashes, and each ends as a row or a dead letter.</summary>
[Collection(IntegrationCollection.InProcess)]
public class HostileInputTests(ITestOutputHelper output)
{
    static string Login(string userId, string ip = $"\"{SampleLogins.Ip}\"", string locale = "null", string version = "\"1.0\"") =>
        SampleLogins.Json(userId: userId, ip: ip, locale: locale, appVersion: version);

    static IEnumerable<(string Body, bool Valid)> Generate(int count)
    {
        var random = new Random(5);
        string[] sqlLike = ["'; DROP TABLE user_logins; --", "1 OR 1=1", "\\\\x00'); DELETE FROM loginetl_inbox; --", "$$; SELECT pg_sleep(10); $$"];
        string[] unicode = ["Ünïcödé", "用户", "🙂🙃", "\u202Eevil", "\u00A0nbsp", "e\u0301"];
        for (var i = 0; i < count; i++)
        {
            var id = $"\"h{i}\"";
            yield return (i % 14) switch
            {
                0 => (Login(id)[..random.Next(1, 60)], false),
                1 => (new string('[', 200 + random.Next(800)) + new string(']', 10), false),
                2 => ($$"""{"a": {{new string('[', 100)}}1{{new string(']', 100)}}}""", false),
                3 => (Login(id, ip: $"\"{new string('9', 200 * 1024)}\""), false),
                4 => (Login(id, ip: "\"\\udc00\""), false),
                5 => (Login(id, locale: "\"\\ud83d\""), false),
                6 => (Login("123"), false),
                7 => (Login(id, version: "[1,2]"), false),
                8 => (Login(JsonString(sqlLike[random.Next(sqlLike.Length)] + i)), true),
                9 => (Login(JsonString(unicode[random.Next(unicode.Length)] + i), locale: JsonString(unicode[random.Next(unicode.Length)])), true),
                10 => (Login(id, locale: "\"en\\u0000\""), false),
                11 => ("\"" + new string('x', random.Next(1, 1000)) + "\"", false),
                12 => ($$"""{"user_id": {{id}}, "user_id": {{id}}, {{new string(' ', 10)}}}""", false),
                _ => (Login(id), true),
            };
        }
    }

    static string JsonString(string value) => System.Text.Json.JsonSerializer.Serialize(value);

    [Fact]
    public async Task Hostile_bodies_never_crash_the_service_and_each_ends_as_a_row_or_a_dead_letter()
    {
        const int count = 5_000;
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync(maxReceiveCount: 3);
        var messages = Generate(count).ToList();
        var ids = new List<string>();
        foreach (var chunk in messages.Chunk(10))
        {
            // One request per message past 20 KiB, to stay within SendMessageBatch's 256 KiB.
            if (chunk.Sum(m => Encoding.UTF8.GetByteCount(m.Body)) > 200 * 1024)
                foreach (var message in chunk)
                    ids.AddRange(await queues.SendAsync([message.Body]));
            else
                ids.AddRange(await queues.SendAsync(chunk.Select(m => m.Body)));
        }

        Assert.Equal(0, await Etl.DrainAsync(database, queues, Etl.NewKey()));

        var rows = await database.LoginsAsync();
        var deadLetters = (await queues.DrainDeadLettersAsync())
            .GroupBy(m => m.MessageAttributes.TryGetValue("loginetl.original-message-id", out var id) ? id.StringValue : m.MessageId)
            .ToDictionary(g => g.Key, g => g.First());
        Assert.Equal(messages.Count(m => m.Valid), rows.Count);
        Assert.Equal(messages.Count(m => !m.Valid), deadLetters.Count);
        Assert.Equal(ids.Where((_, i) => !messages[i].Valid).Order(), deadLetters.Keys.Order());
        // The 200 KiB bodies are over the body limit: refused as such, before they are parsed.
        Assert.All(ids.Where((_, i) => i % 14 == 3), id => Assert.Equal("too_large", deadLetters[id].MessageAttributes["loginetl.error-kind"].StringValue));
        Assert.Contains(rows, r => r.UserId.StartsWith("'; DROP TABLE user_logins; --", StringComparison.Ordinal));
        Assert.Equal(0, await queues.DepthAsync(queues.Url));
    }

    [Fact]
    public async Task Generated_hostile_bodies_among_valid_logins_each_end_as_one_dead_letter_and_the_drain_ends_by_itself()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync(maxReceiveCount: 3);
        var valid = SampleLogins.Generate(1_000, seed: 23).Select(SampleLogins.ToJson).ToList();
        var hostile = new HostileBodies(seed: 23).Take(6_000).ToList();
        var random = new Random(23);
        var bodies = valid.Select(b => (Body: b, Valid: true)).Concat(hostile.Select(b => (Body: b, Valid: false))).OrderBy(_ => random.Next()).ToList();
        // What SQS refuses to take (characters it does not allow) never reaches the service: counted apart.
        var (accepted, refusals) = await SendEachAsync(queues, bodies);
        output.WriteLine($"SQS took {accepted.Count(a => !a.Valid)} of {hostile.Count} hostile bodies; it refused: " +
            string.Join(", ", refusals.GroupBy(r => r).Select(g => $"{g.Key} x{g.Count()}")));
        Assert.Equal(valid.Count, accepted.Count(a => a.Valid));
        Assert.True(accepted.Count(a => !a.Valid) >= 5_000, $"only {accepted.Count(a => !a.Valid)} of the hostile bodies were accepted");

        using var etl = EtlProcess.Start(["run", "--drain", .. Etl.Settings(database, queues, Etl.NewKey(), "--Sqs:Pollers=4")]);
        await etl.WaitForExitAsync(Etl.DrainTimeout);

        Assert.True(etl.ExitCode == 0, etl.Output);
        Assert.Equal(valid.Count, await database.ScalarAsync<long>("SELECT count(*) FROM user_logins"));
        Assert.Equal(valid.Count, await database.ScalarAsync<long>("SELECT count(DISTINCT user_id) FROM user_logins"));
        var deadLetters = await queues.DrainDeadLettersAsync();
        // Exactly one dead letter per hostile message, each with the service's reason (none parked by SQS itself).
        Assert.Equal(accepted.Where(a => !a.Valid).Select(a => a.MessageId).Order(),
            deadLetters.Select(m => m.MessageAttributes["loginetl.original-message-id"].StringValue).Order());
        Assert.All(deadLetters, m => Assert.False(string.IsNullOrEmpty(m.MessageAttributes["loginetl.error-reason"].StringValue)));
        output.WriteLine(string.Join(", ", deadLetters.GroupBy(m => m.MessageAttributes["loginetl.error-kind"].StringValue)
            .OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}")));
        Assert.Equal(0, await queues.DepthAsync(queues.Url));
        Assert.DoesNotContain("[1016]", etl.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("[1015]", etl.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_refused_before_its_identity_attribute_is_verified()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var body = SampleLogins.Json(userId: $"\"{new string('u', 100 * 1024)}\"");
        var id = (await queues.Sqs.SendMessageAsync(new SendMessageRequest(queues.Url, body)
        {
            MessageAttributes = new()
            {
                ["loginetl.identity"] = new MessageAttributeValue { DataType = "String", StringValue = "v1:k1:1764633600000:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:someone-else" },
            },
        })).MessageId;

        var run = await Cli.RunAsync(["run", "--drain", .. Etl.Settings(database, queues, Etl.NewKey())]);

        Assert.True(run.ExitCode == 0, run.Error);
        // Taken as it came, by its own id: its 100 KiB were neither hashed nor was its attribute looked at.
        Assert.DoesNotContain("[1011]", run.Output, StringComparison.Ordinal);
        var letter = Assert.Single(await queues.DrainDeadLettersAsync());
        Assert.Equal("too_large", letter.MessageAttributes["loginetl.error-kind"].StringValue);
        Assert.Equal(id, letter.MessageAttributes["loginetl.original-message-id"].StringValue);
    }

    // One SendMessage per body: a batch would fail whole for one body SQS refuses.
    static async Task<(List<(string MessageId, bool Valid)> Accepted, List<string> Refusals)> SendEachAsync(TestQueues queues,
        List<(string Body, bool Valid)> bodies)
    {
        var accepted = new List<(string, bool)>();
        var refusals = new List<string>();
        foreach (var chunk in bodies.Chunk(10))
        {
            var entries = chunk.Select((b, i) => new SendMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), b.Body)).ToList();
            SendMessageBatchResponse response;
            try
            {
                if (chunk.Sum(b => Encoding.UTF8.GetByteCount(b.Body)) > 200 * 1024)
                    throw new InvalidOperationException("too large for one batch");
                response = await queues.Sqs.SendMessageBatchAsync(new SendMessageBatchRequest { QueueUrl = queues.Url, Entries = entries });
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                foreach (var (body, valid) in chunk)
                {
                    try
                    {
                        accepted.Add(((await queues.Sqs.SendMessageAsync(queues.Url, body)).MessageId, valid));
                    }
                    catch (Amazon.SQS.AmazonSQSException refused)
                    {
                        Assert.False(valid, "a valid login was refused by SQS");
                        refusals.Add(refused.ErrorCode);
                    }
                }

                continue;
            }

            foreach (var sent in response.Successful ?? [])
                accepted.Add((sent.MessageId, chunk[int.Parse(sent.Id, CultureInfo.InvariantCulture)].Valid));
            foreach (var failed in response.Failed ?? [])
            {
                Assert.False(chunk[int.Parse(failed.Id, CultureInfo.InvariantCulture)].Valid, "a valid login was refused by SQS");
                refusals.Add(failed.Code);
            }
        }

        return (accepted, refusals);
    }

    // The bound of docs/delivery-guarantees.md, "Memory under a hostile producer", for 256 KiB bodies: the idle
    // process, the collector's allowance for garbage and pooled buffers, and per message in flight three bytes per
    // body byte (the SDK's string of it, two bytes a character, and the garbage of receiving and dead-lettering it).
    const int LargestBody = 256 * 1024;
    const long CollectorAllowance = 96L * 1024 * 1024;
    const long PerMessage = 3L * LargestBody;

    [Fact]
    public async Task A_queue_of_the_largest_hostile_bodies_is_dead_lettered_as_too_large_within_the_memory_bound()
    {
        const int count = 400, inFlight = 40;
        await using var database = await TestDatabase.CreateAsync();
        await using var empty = await TestQueues.CreateAsync();
        await using var queues = await TestQueues.CreateAsync();
        var key = Etl.NewKey();
        var bodies = Enumerable.Range(0, count).Select(LargestHostileBody).ToList();
        Assert.All(bodies, body => Assert.Equal(LargestBody, Encoding.UTF8.GetByteCount(body)));
        // Three to a call: a SendMessageBatch call carries at most 1 MiB.
        var ids = await queues.SendAsync(bodies, perRequest: 3);

        var idle = await PeakWhileDrainingAsync(database, empty, key, inFlight);
        var peak = await PeakWhileDrainingAsync(database, queues, key, inFlight);

        var deadLetters = (await queues.DrainDeadLettersAsync())
            .GroupBy(m => m.MessageAttributes["loginetl.original-message-id"].StringValue)
            .ToDictionary(g => g.Key, g => g.First());
        Assert.Equal(ids.Order(), deadLetters.Keys.Order());
        Assert.All(deadLetters.Values, m => Assert.Equal(
            ("too_large", $"body is {LargestBody} bytes; at most 16384 are allowed"),
            (m.MessageAttributes["loginetl.error-kind"].StringValue, m.MessageAttributes["loginetl.error-reason"].StringValue)));
        Assert.Equal(0, await queues.DepthAsync(queues.Url));
        Assert.Empty(await database.LoginsAsync());
        var bound = idle + CollectorAllowance + inFlight * PerMessage;
        output.WriteLine($"idle {idle >> 20} MiB, peak {peak >> 20} MiB, bound {bound >> 20} MiB");
        Assert.True(peak <= bound, $"peak RSS {peak >> 20} MiB is over the bound {bound >> 20} MiB (idle {idle >> 20} MiB + {CollectorAllowance >> 20} MiB + {inFlight} x {PerMessage >> 10} KiB)");
    }

    // ASCII, the most memory per byte once the SDK has made a string of it, in a few shapes.
    static string LargestHostileBody(int i)
    {
        var prefix = (i % 4) switch
        {
            0 => $$"""{"user_id": "big-{{i}}", "device_type": "ios", "device_id": "555-12-3456", "app_version": "1.0", "ip": "1""",
            1 => "[",
            2 => $$"""{"k{{i}}": 0, "a""",
            _ => "not json ",
        };
        var filler = (i % 4) switch { 1 => '[', 2 => 'a', _ => '9' };
        return prefix + new string(filler, LargestBody - prefix.Length);
    }

    // Runs `login-etl run --drain` in a process of its own and samples its VmHWM until it exits.
    static async Task<long> PeakWhileDrainingAsync(TestDatabase database, TestQueues queues, string key, int inFlight)
    {
        using var etl = EtlProcess.Start(["run", "--drain", .. Etl.Settings(database, queues, key, $"--Sqs:MaxInFlight={inFlight}")]);
        var exited = etl.WaitForExitAsync(Etl.DrainTimeout);
        long peak = 0;
        while (!exited.IsCompleted)
        {
            peak = Math.Max(peak, etl.PeakResidentBytes() ?? 0);
            await Task.WhenAny(exited, Task.Delay(50));
        }

        await exited;
        Assert.True(etl.ExitCode == 0, etl.Output);
        Assert.True(peak > 0, "the process ended before its memory could be read");
        return peak;
    }
}
