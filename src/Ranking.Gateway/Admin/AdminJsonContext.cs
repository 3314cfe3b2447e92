using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ranking.Gateway.Admin;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(EntryState))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
