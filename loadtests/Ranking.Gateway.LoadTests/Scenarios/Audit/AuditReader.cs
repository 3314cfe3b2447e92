using System.Text.Json;

namespace Ranking.Gateway.LoadTests.Scenarios.Audit;

/// <summary>
/// One reader per instance slot: reads every group in turn, one request at a time (so its answers are in order), and
/// keeps what each answer showed: status, cache status, every user's score. A slot whose instance was killed pauses
/// until its replacement answers; the requests that met the dying instance are kept apart, not counted as answers.
/// </summary>
internal sealed class AuditReader(HttpClient http, int slot)
{
    private volatile Uri? _target;

    public int Slot => slot;

    public List<AuditAnswer> Answers { get; } = [];

    /// <summary>Requests that got no HTTP answer at all (the instance was dying or gone).</summary>
    public int Unanswered { get; private set; }

    /// <summary>The instance this slot reads; null while there is none (killed, its replacement not yet started).</summary>
    public Uri? Target
    {
        get => _target;
        set => _target = value;
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        var group = 0;
        while (!stopping.IsCancellationRequested)
        {
            if (Target is not { } target)
            {
                await Delay(TimeSpan.FromMilliseconds(50), stopping);
                continue;
            }

            group = (group % AuditPlan.Groups) + 1;
            var sent = DateTimeOffset.UtcNow.UtcTicks;
            try
            {
                using var response = await http.GetAsync(new Uri(target, $"/ranking/g{group}"), stopping);
                var body = await response.Content.ReadAsByteArrayAsync(stopping);
                var status = response.Headers.TryGetValues("X-Cache-Status", out var values) ? values.First() : "";
                Answers.Add(new AuditAnswer(slot, group, sent, DateTimeOffset.UtcNow.UtcTicks, (int)response.StatusCode, status, response.IsSuccessStatusCode ? Scores(body) : null));
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
            {
                Unanswered++;
                await Delay(TimeSpan.FromMilliseconds(50), stopping);
            }
        }
    }

    // Every user's score by user number (u1 is 1); 0 for a user the answer does not hold.
    private static long[] Scores(byte[] body)
    {
        var scores = new long[AuditPlan.Users + 1];
        using var document = JsonDocument.Parse(body);
        foreach (var entry in document.RootElement.GetProperty("entries").EnumerateArray())
        {
            var user = entry.GetProperty("userId").GetString()!;
            if (int.TryParse(user.AsSpan(1), out var n) && n is > 0 and <= AuditPlan.Users)
            {
                scores[n] = entry.GetProperty("score").GetInt64();
            }
        }

        return scores;
    }

    private static async Task Delay(TimeSpan delay, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(delay, stopping);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}

/// <param name="Scores">Each user's score the answer showed (index = user number), for a 2xx; null otherwise.</param>
internal sealed record AuditAnswer(int Slot, int Group, long SentAt, long ReceivedAt, int Status, string CacheStatus, long[]? Scores);
