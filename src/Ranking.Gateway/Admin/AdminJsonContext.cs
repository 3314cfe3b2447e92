using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ranking.Gateway.Admin;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(EntryState))]
[JsonSerializable(typeof(DeadLetterList))]
[JsonSerializable(typeof(LetterSelection))]
[JsonSerializable(typeof(LettersDone))]
[JsonSerializable(typeof(PurgeRequest))]
[JsonSerializable(typeof(PurgeDone))]
[JsonSerializable(typeof(OverviewState))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
