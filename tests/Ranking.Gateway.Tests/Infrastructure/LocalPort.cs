using System.Net;
using System.Net.Sockets;

namespace Ranking.Gateway.Tests.Infrastructure;

/// <summary>Ports on 127.0.0.1 for the servers tests start themselves.</summary>
internal static class LocalPort
{
    // Below Linux's ephemeral range (32768–60999), so that between picking a port and the server binding it
    // neither a port-0 listener (Kestrel, a stand-in upstream) nor an outgoing connection can be given the same
    // port, and each port is handed out once per test run. Before this, ports came from the OS (port 0): two tests
    // running in parallel could be given the same one, and a cluster node's port was once answered by another
    // test's standalone redis-server ("is not configured as a cluster node").
    private const int First = 20_000;
    private const int Last = 32_000;
    private static int _next = First + Random.Shared.Next(Last - First);

    /// <summary>A port nothing listens on now and that no other caller in this process was given.</summary>
    public static int Free()
    {
        for (var attempt = 0; attempt < Last - First; attempt++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref _next) % (Last - First));
            if (CanBind(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"No free port between {First} and {Last}.");
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

    private static bool CanBind(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
