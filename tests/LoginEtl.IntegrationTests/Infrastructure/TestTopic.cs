using System.Xml.Linq;

namespace LoginEtl.IntegrationTests.Infrastructure;

/// <summary>
/// An SNS topic of its own on the emulator, which serves SNS's query API beside SQS on the same endpoint. Spoken over
/// HTTP here (form posts, XML answers): the AWS SDK's SNS client is not among the packages this repository can use.
/// </summary>
sealed class TestTopic : IAsyncDisposable
{
    static readonly XNamespace Sns = "http://sns.amazonaws.com/doc/2010-03-31/";

    readonly HttpClient _http;

    TestTopic(HttpClient http, string arn)
    {
        _http = http;
        Arn = arn;
    }

    public string Arn { get; }

    public static async Task<TestTopic> CreateAsync()
    {
        var http = new HttpClient { BaseAddress = new Uri(TestServices.SqsServiceUrl) };
        var answer = await CallAsync(http, new() { ["Action"] = "CreateTopic", ["Name"] = $"logins-{Guid.NewGuid():N}" });
        return new TestTopic(http, answer.Descendants(Sns + "TopicArn").Single().Value);
    }

    /// <summary>Subscribes an SQS queue; with raw message delivery off (SNS's default) each message arrives as a notification envelope.</summary>
    public Task SubscribeAsync(string queueArn, bool rawMessageDelivery) => CallAsync(_http, new()
    {
        ["Action"] = "Subscribe",
        ["TopicArn"] = Arn,
        ["Protocol"] = "sqs",
        ["Endpoint"] = queueArn,
        ["Attributes.entry.1.key"] = "RawMessageDelivery",
        ["Attributes.entry.1.value"] = rawMessageDelivery ? "true" : "false",
    });

    /// <summary>Publishes one message; returns its SNS message id.</summary>
    public async Task<string> PublishAsync(string message)
    {
        var answer = await CallAsync(_http, new() { ["Action"] = "Publish", ["TopicArn"] = Arn, ["Message"] = message });
        return answer.Descendants(Sns + "MessageId").Single().Value;
    }

    public async ValueTask DisposeAsync()
    {
        await CallAsync(_http, new() { ["Action"] = "DeleteTopic", ["TopicArn"] = Arn });
        _http.Dispose();
    }

    static async Task<XDocument> CallAsync(HttpClient http, Dictionary<string, string> parameters)
    {
        using var content = new FormUrlEncodedContent(parameters);
        using var response = await http.PostAsync("/", content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"SNS {parameters["Action"]} answered {(int)response.StatusCode}: {text}");
        return XDocument.Parse(text);
    }
}
