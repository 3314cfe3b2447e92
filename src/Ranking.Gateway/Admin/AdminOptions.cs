namespace Ranking.Gateway.Admin;

/// <summary>The admin API, section <c>Admin</c>. Without a key there is no admin API at all: its paths answer 404.</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>The shortest key accepted: a key is a shared secret, not a password a person types.</summary>
    public const int MinKeyLength = 32;

    /// <summary>The bearer key every admin call presents (<c>Authorization: Bearer &lt;key&gt;</c>); unset or empty turns the API off.</summary>
    public string? ApiKey { get; set; }

    internal bool Enabled => !string.IsNullOrEmpty(ApiKey);
}
