using System.Net;
using System.Net.Sockets;

namespace Ranking.Gateway.LoadTests.Hosting;

internal static class FreePort
{
    /// <summary>
    /// A loopback port nothing uses right now, below the kernel's ephemeral range: a port the OS hands out for
    /// port 0 can be taken by an outgoing connection before the child process binds it.
    /// </summary>
    public static int Next()
    {
        var low = EphemeralLow();
        while (true)
        {
            var port = Random.Shared.Next(10_000, low);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use (listening, connected or in TIME_WAIT): try another.
            }
        }
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

    private static int EphemeralLow()
    {
        try
        {
            return int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0]);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return 32_768;
        }
    }
}
