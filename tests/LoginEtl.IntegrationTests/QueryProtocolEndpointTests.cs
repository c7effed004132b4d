using System.Net;
using System.Text;
using LoginEtl.IntegrationTests.Infrastructure;

namespace LoginEtl.IntegrationTests;

/// <summary>
/// An SQS endpoint that speaks only the older query protocol (LocalStack before 3.0, ElasticMQ before 1.4) answers
/// AWSSDK.SQS 4's JSON requests with XML: each command that checks the queue says so in one line naming the endpoint.
/// </summary>
[Collection(IntegrationCollection.Processes)]
public class QueryProtocolEndpointTests
{
    // What such an endpoint answers a request without a query-protocol Action, as LocalStack 2 does.
    const string XmlError = """
        <?xml version="1.0" encoding="UTF-8"?>
        <ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>The action  is not valid for this endpoint.</Message></Error><RequestId>5d4c1bd2-0000-4000-8000-000000000000</RequestId></ErrorResponse>
        """;

    // What it answers once it takes the request for a query-protocol call that succeeded.
    const string XmlSuccess = """
        <?xml version="1.0"?>
        <GetQueueUrlResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><GetQueueUrlResult><QueueUrl>http://localhost:4566/000000000000/login-queue</QueueUrl></GetQueueUrlResult><ResponseMetadata><RequestId>5d4c1bd2-0000-4000-8000-000000000001</RequestId></ResponseMetadata></GetQueueUrlResponse>
        """;

    public static TheoryData<string, int, string> Cases()
    {
        var cases = new TheoryData<string, int, string>();
        foreach (var command in new[] { "run", "produce" })
        {
            cases.Add(command, 400, XmlError);
            cases.Add(command, 200, XmlSuccess);
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_query_protocol_endpoint_is_named_in_one_line(string command, int status, string body)
    {
        await using var database = await TestDatabase.CreateAsync();
        using var endpoint = new XmlOnlyEndpoint(status, body);
        string[] settings =
        [
            $"--ConnectionStrings:LoginDb={database.ConnectionString}", $"--Sqs:ServiceUrl={endpoint.Url}", $"--Masking:Key={Etl.NewKey()}",
            "--Health:Port=0",
        ];

        var result = command == "produce"
            ? await Cli.RunAsync(["produce", "-", .. settings], standardInput: "{}\n")
            : await Cli.RunAsync(["run", .. settings]);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"login-etl: the SQS endpoint {endpoint.Url} (Sqs__ServiceUrl / AWS_ENDPOINT_URL_SQS) answered in XML: it speaks only the older query protocol, and AWSSDK.SQS 4 " +
            "speaks the JSON protocol (use LocalStack 3.0 or later, ElasticMQ 1.4 or later, fauxqs, or AWS)", line);
        Assert.True(endpoint.Requests > 0, "the command called the endpoint");
    }

    /// <summary>An HTTP server on a free loopback port that answers every request with the same XML.</summary>
    sealed class XmlOnlyEndpoint : IDisposable
    {
        readonly HttpListener _listener = new();
        int _requests;

        public XmlOnlyEndpoint(int status, string body)
        {
            Url = $"http://127.0.0.1:{FreePort.Next()}";
            _listener.Prefixes.Add(Url + "/");
            _listener.Start();
            _ = ServeAsync(status, Encoding.UTF8.GetBytes(body));
        }

        public string Url { get; }

        public int Requests => Volatile.Read(ref _requests);

        async Task ServeAsync(int status, byte[] body)
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                Interlocked.Increment(ref _requests);
                context.Response.StatusCode = status;
                context.Response.ContentType = "text/xml";
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        }

        public void Dispose() => _listener.Close();
    }
}
