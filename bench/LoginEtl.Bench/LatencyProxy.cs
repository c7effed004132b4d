using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace LoginEtl.Bench;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of the SQS endpoint that holds every byte a client sends for a fixed time
/// before passing it on, and passes answers straight back: each call then takes that much longer, as it does
/// between a replica and SQS. Bytes are held, not the connection, so calls on one connection overlap as they would.
/// </summary>
sealed class LatencyProxy : IAsyncDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly DnsEndPoint _upstream;
    readonly TimeSpan _delay;
    readonly CancellationTokenSource _stopping = new();
    readonly Task _accepting;

    public LatencyProxy(Uri upstream, TimeSpan delay)
    {
        _upstream = new DnsEndPoint(upstream.Host, upstream.Port);
        _delay = delay;
        _listener.Start();
        Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _accepting = AcceptAsync();
    }

    /// <summary>The address to give clients instead of the upstream one.</summary>
    public string Url { get; }

    async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stopping.Token);
                connections.RemoveAll(c => c.IsCompleted);
                connections.Add(RelayAsync(client));
            }
        }
        catch (OperationCanceledException)
        {
        }

        await Task.WhenAll(connections);
    }

    async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient { NoDelay = true })
        {
            client.NoDelay = true;
            try
            {
                await upstream.ConnectAsync(_upstream.Host, _upstream.Port, _stopping.Token);
                using var closing = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                var (fromClient, toClient) = (client.GetStream(), upstream.GetStream());
                // When either side closes, the other is closed too.
                await Task.WhenAny(HoldAndForwardAsync(fromClient, toClient, closing.Token), CopyAsync(toClient, fromClient, closing.Token));
                await closing.CancelAsync();
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
            {
            }
        }
    }

    // Reads what the client sends and writes each piece upstream once it has been held for the delay: pieces keep
    // their order and their spacing, and a piece that arrives while another is held is not held longer.
    async Task HoldAndForwardAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var held = Channel.CreateUnbounded<(byte[] Buffer, int Count, long Due)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var forwarding = ForwardAsync();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
                var count = await from.ReadAsync(buffer, cancellationToken);
                if (count == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    break;
                }

                held.Writer.TryWrite((buffer, count, Stopwatch.GetTimestamp() + (long)(_delay.TotalSeconds * Stopwatch.Frequency)));
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
        }
        finally
        {
            held.Writer.TryComplete();
            await forwarding;
        }

        async Task ForwardAsync()
        {
            try
            {
                await foreach (var (buffer, count, due) in held.Reader.ReadAllAsync(cancellationToken))
                {
                    // The timer may fire up to a tick early: the delay is a lower bound.
                    for (var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due); wait > TimeSpan.Zero; wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due))
                        await Task.Delay(wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait, cancellationToken);
                    await to.WriteAsync(buffer.AsMemory(0, count), cancellationToken);
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
            }
        }
    }

    static async Task CopyAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        try
        {
            await from.CopyToAsync(to, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stopping.Dispose();
    }
}
