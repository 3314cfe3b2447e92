using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Ranking.Gateway.Tests.Infrastructure;

namespace Ranking.Gateway.Tests.Admin;

/// <summary>Only the configured key opens the admin API; every call, refused or not, is logged without it.</summary>
public sealed class AdminAuthTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private GatewayHost _host = null!;
    private HttpClient _client = null!;

    private const string Challenge = "Bearer";
    private const string InvalidRequest = "Bearer error=\"invalid_request\"";
    private const string InvalidToken = "Bearer error=\"invalid_token\"";

    public static TheoryData<string, string?, string> BadCredentials => new()
    {
        { "none", null, Challenge },
        { "a wrong key of the same length", "Bearer " + new string('x', AdminCalls.Key.Length), InvalidToken },
        { "a short wrong key", "Bearer nope", InvalidToken },
        { "the key and one more character", AdminCalls.Bearer + "x", InvalidToken },
        { "the key less its last character", AdminCalls.Bearer[..^1], InvalidToken },
        { "the key in other letter case", "Bearer " + AdminCalls.Key.ToUpperInvariant(), InvalidToken },
        { "the key without a scheme", AdminCalls.Key, InvalidRequest },
        { "the key as Basic credentials", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + AdminCalls.Key)), InvalidRequest },
        { "the key under another scheme", "Token " + AdminCalls.Key, InvalidRequest },
        { "the scheme alone", "Bearer", InvalidRequest },
        { "the scheme and blanks", "Bearer   ", InvalidRequest },
        { "the key twice", AdminCalls.Bearer + ", " + AdminCalls.Bearer, InvalidRequest },
        { "the key then more words", AdminCalls.Bearer + " extra", InvalidRequest },
    };

    public async Task InitializeAsync()
    {
        _host = new GatewayHost(database, RealServices.NewKeyPrefix(), _time, AdminCalls.On(GatewayHost.Policy()), services: s => s.AddFakeLogging());
        _client = _host.CreateClient();
        await database.SeedAsync("kept", 3);
        Assert.Equal("MISS", (await _client.GetAnswerAsync("/ranking/kept")).CacheStatus);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [MemberData(nameof(BadCredentials))]
    public async Task Calls_without_the_key_are_401_and_change_nothing(string credentials, string? authorization, string challenge)
    {
        var before = await database.OriginQueriesAsync();

        var answers = new[]
        {
            await _client.AdminAsync(HttpMethod.Get, "/_admin/ranking/kept", authorization),
            await _client.AdminAsync(HttpMethod.Delete, "/_admin/ranking/kept", authorization),
            await _client.AdminAsync(HttpMethod.Post, "/_admin/ranking/kept/refresh", authorization),
            await _client.AdminAsync(HttpMethod.Get, "/_admin/routes/any/path", authorization),
            await _client.AdminAsync(HttpMethod.Put, "/_admin/no-such-endpoint", authorization),
        };

        Assert.All(answers, a => ProblemAssert.IsProblem(a, HttpStatusCode.Unauthorized, "Unauthorized"));
        Assert.All(answers, a => Assert.DoesNotContain(AdminCalls.Key, a.Body, StringComparison.Ordinal));
        var challenges = answers.Select(a => a.Header("WWW-Authenticate")).Distinct().ToArray();
        Assert.True(challenges.SequenceEqual([challenge]), $"{credentials}: WWW-Authenticate {string.Join(" | ", challenges)}");
        Assert.Equal(before, await database.OriginQueriesAsync());
        Assert.Equal("FRESH", (await _client.GetAnswerAsync("/ranking/kept")).CacheStatus);
    }

    [Theory]
    [InlineData(AdminCalls.Bearer)]
    [InlineData("bearer " + AdminCalls.Key)]
    [InlineData("BEARER   " + AdminCalls.Key)]
    public async Task The_key_opens_the_API_whatever_the_schemes_letter_case(string authorization)
    {
        var answer = await _client.AdminAsync(HttpMethod.Get, "/_admin/ranking/kept", authorization);

        Assert.Equal((HttpStatusCode.OK, "FRESH"), (answer.Status, answer.Status()));
    }

    [Fact]
    public async Task Every_call_is_logged_with_who_what_and_result_and_never_the_key()
    {
        var logs = _host.Services.GetFakeLogCollector();
        logs.Clear();

        await _client.StateAsync("/_admin/ranking/kept");
        await _client.AdminAsync(HttpMethod.Delete, "/_admin/ranking/kept", "Bearer " + new string('x', AdminCalls.Key.Length));
        await _client.AdminAsync(HttpMethod.Post, "/_admin/ranking/kept/refresh", authorization: null);
        await _client.StateAsync("/_admin/ranking/-bad");

        var admin = logs.GetSnapshot().Where(r => r.Category == "Ranking.Gateway.Admin.AdminGate").ToArray();
        Assert.Equal(
            [
                (LogLevel.Information, "GET /_admin/ranking/kept", 200),
                (LogLevel.Warning, "DELETE /_admin/ranking/kept", 401),
                (LogLevel.Warning, "POST /_admin/ranking/kept/refresh", 401),
                (LogLevel.Information, "GET /_admin/ranking/-bad", 400),
            ],
            admin.Select(r => (r.Level, Value(r, "Request"), r.Id.Id == 501 ? 401 : int.Parse(Value(r, "Status"), System.Globalization.CultureInfo.InvariantCulture))));
        Assert.All(admin, r => Assert.False(string.IsNullOrEmpty(Value(r, "Client"))));
        Assert.Equal(["Wrong", "Missing"], admin.Where(r => r.Id.Id == 501).Select(r => Value(r, "Credentials")));
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Message.Contains(AdminCalls.Key, StringComparison.Ordinal)
            || r.StructuredState?.Any(s => s.Value?.Contains(AdminCalls.Key, StringComparison.Ordinal) == true) == true);
    }

    private static string Value(FakeLogRecord record, string name) =>
        record.StructuredState!.Single(s => s.Key == name).Value!;
}
