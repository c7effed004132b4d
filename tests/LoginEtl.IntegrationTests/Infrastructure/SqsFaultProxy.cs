using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace LoginEtl.IntegrationTests.Infrastructure;

/// <summary>
/// An HTTP proxy on 127.0.0.1 in front of the SQS emulator that answers the actions it is told to fail with an
/// internal error, and forwards everything else: an SQS that took a send and then refused the delete, as a
/// network cut between the two would leave it. With <c>passFirst</c>, the first requests of those actions still go
/// through: SQS failing in the middle of a command. <see cref="Hold"/> keeps the requests of one action waiting
/// instead, unanswered and not yet passed on, until <see cref="Release"/>: a slow SQS. Every request it sees is
/// recorded in <see cref="Calls"/>: its action and the name of the queue it names.
/// </summary>
sealed class SqsFaultProxy : IAsyncDisposable
{
    readonly HttpListener _listener = new();
    readonly HttpClient _upstream = new() { BaseAddress = new Uri(TestServices.SqsServiceUrl) };
    readonly HashSet<string> _failed;
    readonly Task _serving;
    readonly int _passFirst;
    int _seen;

    public SqsFaultProxy(params string[] failedActions)
        : this(0, failedActions)
    {
    }

    public SqsFaultProxy(int passFirst, params string[] failedActions)
    {
        _passFirst = passFirst;
        _failed = failedActions.Select(a => "AmazonSQS." + a).ToHashSet(StringComparer.Ordinal);
        Url = $"http://127.0.0.1:{FreePort.Next()}/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _serving = ServeAsync();
    }

    public string Url { get; }

    /// <summary>Every request seen, by action (<c>ReceiveMessage</c>) and the queue its QueueUrl or QueueName names.</summary>
    public ConcurrentQueue<(string Action, string? Queue)> Calls { get; } = new();

    /// <summary>How many requests were failed on purpose.</summary>
    public int Failed => Volatile.Read(ref _failedCount);

    int _failedCount;
    string? _heldAction;
    TaskCompletionSource _held = new();
    int _holding;

    /// <summary>How many requests are being held now.</summary>
    public int Holding => Volatile.Read(ref _holding);

    /// <summary>From now on, requests of <paramref name="action"/> wait until <see cref="Release"/>.</summary>
    public void Hold(string action)
    {
        _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _heldAction, "AmazonSQS." + action);
    }

    /// <summary>Passes on the held requests, and every later one.</summary>
    public void Release()
    {
        Volatile.Write(ref _heldAction, null);
        _held.TrySetResult();
    }

    async Task ServeAsync()
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

            _ = HandleAsync(context);
        }
    }

    async Task HandleAsync(HttpListenerContext context)
    {
        using var response = context.Response;
        var target = context.Request.Headers["X-Amz-Target"] ?? "";
        using var body = new MemoryStream();
        await context.Request.InputStream.CopyToAsync(body);
        Calls.Enqueue((target.Replace("AmazonSQS.", "", StringComparison.Ordinal), QueueOf(body.ToArray())));
        if (_failed.Contains(target) && Interlocked.Increment(ref _seen) > _passFirst)
        {
            Interlocked.Increment(ref _failedCount);
            response.StatusCode = 500;
            response.ContentType = "application/x-amz-json-1.0";
            await response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes("""{"__type":"com.amazonaws.sqs#InternalError","message":"refused by the test"}"""));
            return;
        }

        if (target == Volatile.Read(ref _heldAction))
        {
            Interlocked.Increment(ref _holding);
            await _held.Task;
            Interlocked.Decrement(ref _holding);
        }

        using var forward = new HttpRequestMessage(new HttpMethod(context.Request.HttpMethod), context.Request.RawUrl)
        {
            Content = new ByteArrayContent(body.ToArray()),
        };
        forward.Content.Headers.TryAddWithoutValidation("Content-Type", context.Request.ContentType);
        forward.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        using var answer = await _upstream.SendAsync(forward);
        response.StatusCode = (int)answer.StatusCode;
        response.ContentType = answer.Content.Headers.ContentType?.ToString();
        await response.OutputStream.WriteAsync(await answer.Content.ReadAsByteArrayAsync());
    }

    static string? QueueOf(byte[] body)
    {
        try
        {
            using var request = JsonDocument.Parse(body);
            var root = request.RootElement;
            if (root.TryGetProperty("QueueUrl", out var url))
                return url.GetString()!.TrimEnd('/').Split('/')[^1];
            return root.TryGetProperty("QueueName", out var name) ? name.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving;
        _upstream.Dispose();
    }
}
