using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Ranking.Gateway.Refresh.Queue;
using Ranking.Gateway.Tests.Infrastructure;
using Ranking.Gateway.Tests.Refresh;

namespace Ranking.Gateway.Tests.Admin;

/// <summary>
/// The operator console in a real browser: Debian's Chromium driven by Playwright, against a gateway on Kestrel in
/// Queue mode. Logs in with the key, looks an entry up and purges it, sees a dead letter and re-queues it. Saves
/// screenshots beside the test assembly (<c>console-*.png</c>; the README's come from there).
/// </summary>
[Collection(AloneCollection.Name)] // a browser and a Kestrel host on two cores: not beside the rest of the suite
public sealed class ConsoleTests : IAsyncLifetime
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(10);
    private RefreshFleet _fleet = null!;
    private GatewayHost _host = null!;
    private Uri _address = null!;

    public async Task InitializeAsync()
    {
        _fleet = await RefreshFleet.CreateAsync(Period);
        await _fleet.Database.SeedAsync("d1", 5);
        await _fleet.Database.SeedAsync("d2", 5);
        var settings = AdminCalls.On(_fleet.Settings("Queue", new Dictionary<string, string?>
        {
            ["Ranking:Refresh:WatermarkOverlap"] = "00:00:00",
            ["Ranking:Refresh:LeaseDuration"] = "00:00:01",
            ["Ranking:Refresh:VisibilityTimeout"] = "00:00:03",
            ["Ranking:Refresh:RetryBackoff"] = "00:00:00.200",
            ["Ranking:Refresh:MaxDeliveries"] = "3",
            ["Gateway:Policies:ranking:OriginTimeout"] = "00:00:02",
            ["Gateway:Policies:ranking:LockExpiry"] = "00:00:03",
        }));
        _host = new GatewayHost(_fleet.Database, _fleet.Prefix, _fleet.Time, settings);
        _host.UseKestrel(0);
        _host.StartServer();
        _address = new Uri(_host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        await Eventually.Until(() => _host.Services.GetRequiredService<QueueConsumer>().Handled >= 2, "the first pass's groups handled");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _fleet.DisposeAsync();
    }

    [BrowserFact]
    public async Task An_operator_logs_in_looks_up_and_purges_an_entry_and_requeues_a_dead_letter()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(BrowserFactAttribute.Launch);
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        var console = new Uri(_address, "/_admin/");
        var answer = await page.GotoAsync(console.ToString());
        Assert.Equal((int)HttpStatusCode.OK, answer!.Status);
        Assert.Contains("script-src 'self'", (await answer.AllHeadersAsync())["content-security-policy"], StringComparison.Ordinal);

        // A wrong key is refused and the console stays closed.
        await page.FillAsync("#key", "not-the-key-not-the-key-not-the-key");
        await page.ClickAsync("#login-button");
        await Expect(page.Locator("#login-error")).ToHaveTextAsync("That key was refused.");
        await Expect(page.Locator("#console")).ToBeHiddenAsync();

        await page.FillAsync("#key", AdminCalls.Key);
        await page.ClickAsync("#login-button");
        await Expect(page.Locator("#mode")).ToHaveTextAsync("Queue");
        await Expect(page.Locator("#instances tbody")).ToContainTextAsync(Environment.MachineName);
        await Expect(page.Locator("#shards tbody tr")).ToHaveCountAsync(1);

        // Look an entry up, purge it: the state changes to ABSENT.
        await page.FillAsync("#group", "d2");
        await page.ClickAsync("#lookup");
        await Expect(page.Locator("#entry-status")).ToHaveTextAsync("FRESH");
        await page.ScreenshotAsync(new() { Path = Screenshot("entry"), FullPage = true });
        await page.ClickAsync("#purge");
        await Expect(page.Locator("#entry-status")).ToHaveTextAsync("ABSENT");
        await Expect(page.Locator("#entry-message")).ToHaveTextAsync("Purged on every instance.");

        // A group that cannot be recomputed becomes a dead letter; the console shows it, and re-queues it once cured.
        _host.Faults.Poison("d1");
        await _fleet.Database.ExecuteAsync("UPDATE ranking_scores SET score = 1000000, updated_at = now() WHERE group_id = 'd1' AND user_id = 'u5'");
        _fleet.Time.Advance(Period);
        var letter = page.Locator("#dead-letters tbody tr", new() { HasText = "d1" });
        await Expect(letter).ToHaveCountAsync(1, new() { Timeout = 20_000 });
        await Expect(letter).ToContainTextAsync("Injected failure for group d1");
        await page.ScreenshotAsync(new() { Path = Screenshot("dead-letter"), FullPage = true });

        _host.Faults.Cure("d1");
        await letter.GetByRole(AriaRole.Button, new() { Name = "Re-queue" }).ClickAsync();
        await Expect(page.Locator("#dead-message")).ToContainTextAsync("Re-queued: 1");
        using var client = _host.CreateClient();
        await Eventually.Until(() => client.GetAnswerAsync("/ranking/d1"), a => a.CacheStatus == "FRESH" && a.UserIds[0] == "u5", "d1 recomputed with its change");
        await Expect(page.Locator("#dead-letters tbody tr")).ToHaveCountAsync(0);

        // The key went into headers only: not into the address, a cookie or the page's storage.
        Assert.DoesNotContain(AdminCalls.Key, page.Url, StringComparison.Ordinal);
        Assert.Empty(await context.CookiesAsync());
        Assert.Equal(0, await page.EvaluateAsync<int>("localStorage.length + sessionStorage.length"));
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    private static string Screenshot(string name) => Path.Combine(AppContext.BaseDirectory, $"console-{name}.png");
}

/// <summary>
/// A test that needs a browser: Debian's Chromium at <c>/usr/bin/chromium</c> (<c>scripts/test.sh</c> installs it;
/// Playwright's own browser download cannot work here). Skipped, saying why, only where none is installed.
/// </summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public const string Chromium = "/usr/bin/chromium";

    public BrowserFactAttribute()
    {
        if (!File.Exists(Chromium))
        {
            Skip = $"No browser: {Chromium} is missing (apt-get install chromium; scripts/test.sh does it where it can).";
        }
    }

    /// <summary>How the tests start Chromium: headless, and without its background calls (the network here is closed).</summary>
    public static BrowserTypeLaunchOptions Launch => new()
    {
        ExecutablePath = Chromium,
        Headless = true,
        Args =
        [
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
        ],
    };
}
