using System.Net;
using System.Net.Sockets;

namespace LoginEtl.IntegrationTests.Infrastructure;

static class FreePort
{
    /// <summary>A TCP port of 127.0.0.1 that nothing listens on right now (the system's pick, then released).</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
