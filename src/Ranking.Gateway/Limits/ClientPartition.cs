using System.Net;
using System.Net.Sockets;

namespace Ranking.Gateway.Limits;

/// <summary>One client's bucket under one policy. Policy names compare as <c>Gateway:Policies</c> does, ignoring case.</summary>
internal readonly record struct ClientPartition(string Policy, IPAddress? Client)
{
    public bool Equals(ClientPartition other) =>
        string.Equals(Policy, other.Policy, StringComparison.OrdinalIgnoreCase) && Equals(Client, other.Client);

    public override int GetHashCode() => HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(Policy), Client);

    /// <summary>
    /// The client an address stands for: an IPv4 address itself (also when it arrives IPv4-mapped on a dual-stack
    /// socket); for IPv6 its /64, which one subscriber usually holds whole, so rotating addresses inside it gains nothing.
    /// Null (no IP connection, such as a Unix socket) is one client.
    /// </summary>
    public static IPAddress? ClientOf(IPAddress? address)
    {
        if (address is null || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }
}
