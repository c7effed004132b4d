using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LoginEtl.Bench;

namespace LoginEtl.Tests;

public class LatencyProxyTests
{
    [Fact]
    public async Task Every_request_through_the_proxy_arrives_at_least_the_delay_later_and_its_answer_comes_back_whole()
    {
        var delay = TimeSpan.FromMilliseconds(40);
        using var upstream = new TcpListener(IPAddress.Loopback, 0);
        upstream.Start();
        var echoing = EchoAsync(upstream);
        await using var proxy = new LatencyProxy(new Uri($"http://127.0.0.1:{((IPEndPoint)upstream.LocalEndpoint).Port}"), delay);
        var port = new Uri(proxy.Url).Port;

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        var elapsed = new List<TimeSpan>();
        for (var i = 0; i < 3; i++)
        {
            var request = Encoding.ASCII.GetBytes($"request {i}\n");
            var started = Stopwatch.GetTimestamp();
            await stream.WriteAsync(request);
            var answer = new byte[request.Length];
            await stream.ReadExactlyAsync(answer);
            elapsed.Add(Stopwatch.GetElapsedTime(started));
            Assert.Equal(request, answer);
        }

        // A lower bound only: a slow machine makes the calls longer, never shorter than the delay.
        Assert.All(elapsed, e => Assert.True(e >= delay, $"{e.TotalMilliseconds} ms"));
        client.Close();
        await echoing;
    }

    static async Task EchoAsync(TcpListener listener)
    {
        using var connection = await listener.AcceptTcpClientAsync();
        var stream = connection.GetStream();
        var buffer = new byte[1024];
        int count;
        while ((count = await stream.ReadAsync(buffer)) > 0)
            await stream.WriteAsync(buffer.AsMemory(0, count));
    }
}
