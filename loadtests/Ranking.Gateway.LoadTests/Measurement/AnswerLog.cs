using System.Text.Json;

namespace Ranking.Gateway.LoadTests.Measurement;

/// <summary>
/// The <c>generatedAt</c> of every 2xx ranking answer of a phase, with when it was received, so staleness can be
/// measured against the writer's commits afterwards.
/// </summary>
internal sealed class AnswerLog
{
    private static readonly byte[] GeneratedAtName = "generatedAt"u8.ToArray();

    private readonly Lock _gate = new();
    private readonly List<ObservedAnswer> _answers = new(capacity: 64 * 1024);

    public void Record(int group, CacheAnswer answer, ReadOnlySpan<byte> body, DateTimeOffset receivedAt)
    {
        var generatedAt = TryReadGeneratedAt(body) is { } at ? at.UtcTicks : 0;
        lock (_gate)
        {
            _answers.Add(new ObservedAnswer(group, answer, generatedAt, receivedAt.UtcTicks));
        }
    }

    public ObservedAnswer[] Snapshot()
    {
        lock (_gate)
        {
            return [.. _answers];
        }
    }

    // generatedAt comes second in the body, so reading stops long before the entries: the load generator must not
    // spend its CPU deserialising a Top-100 per answer.
    private static DateTimeOffset? TryReadGeneratedAt(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals(GeneratedAtName))
                {
                    return reader.Read() && reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var at) ? at : null;
                }

                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    return null;
                }
            }
        }
        catch (JsonException)
        {
            // Not a ranking body: counted as an answer without generatedAt.
        }

        return null;
    }
}
