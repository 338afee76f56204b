using System.Net;
using System.Net.Sockets;

namespace BrazeFunctions.IntegrationTests.Infrastructure;

internal static class FreePort
{
    /// <summary>A loopback port that nothing listens on right now (bound, read, released).</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
