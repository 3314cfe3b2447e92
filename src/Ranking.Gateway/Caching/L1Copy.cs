using System.ComponentModel;

namespace Ranking.Gateway.Caching;

/// <summary>
/// A load as the L1 keeps it: the item, and until when it answers without a look at Redis (<see cref="LocalCache"/>).
/// Immutable, and marked so: HybridCache then hands every reader this very instance instead of a copy.
/// </summary>
[ImmutableObject(true)]
internal sealed record L1Copy(L1Item Item, DateTimeOffset TrustedUntil);
