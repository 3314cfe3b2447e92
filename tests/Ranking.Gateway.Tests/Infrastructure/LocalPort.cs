using System.Net;
using System.Net.Sockets;

namespace Ranking.Gateway.Tests.Infrastructure;

/// <summary>Ports on 127.0.0.1 for the servers tests start themselves.</summary>
internal static class LocalPort
{
    /// <summary>A port nothing listens on now (the OS picks it).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
