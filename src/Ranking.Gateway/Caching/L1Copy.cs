using System.ComponentModel;

namespace Ranking.Gateway.Caching;

/// <summary>
/// A load as the L1 keeps it: the item, and until when it answers without a look at Redis (<see cref="LocalCache"/>).
/// Marked immutable, so HybridCache hands every reader this very instance instead of a copy: the item never changes;
/// only its trust (and the digest it is checked by) does, moved on by <see cref="LocalCache"/> when Redis still holds
/// the very entry.
/// </summary>
[ImmutableObject(true)]
internal sealed class L1Copy(L1Item item, DateTimeOffset trustedUntil)
{
    private long _trustedUntilTicks = trustedUntil.UtcTicks;
    private string? _digest = item.Digest ?? item.Entry.Memo.StoredDigest;

    public L1Item Item => item;

    public bool IsTrustedAt(DateTimeOffset now) => now.UtcTicks < Volatile.Read(ref _trustedUntilTicks);

    public void TrustUntil(DateTimeOffset until) => Volatile.Write(ref _trustedUntilTicks, until.UtcTicks);

    /// <summary>What the entry's bytes in Redis hash to, once known (read with it, or at a check that found it unchanged).</summary>
    public string? Digest { get => Volatile.Read(ref _digest); set => Volatile.Write(ref _digest, value); }
}
