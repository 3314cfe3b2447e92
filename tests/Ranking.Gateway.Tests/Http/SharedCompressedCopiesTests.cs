using System.IO.Compression;
using Ranking.Gateway.Http;
using Ranking.Gateway.Tests.Infrastructure;
using Ranking.Gateway.Tests.Refresh;

namespace Ranking.Gateway.Tests.Http;

/// <summary>An entry's gzip and br copies are made once for the fleet, by the instance that stores it.</summary>
[Collection(AloneCollection.Name)] // counts the process's compressions, which any other test's compressed answer would add to
public sealed class SharedCompressedCopiesTests : IAsyncLifetime
{
    private RefreshFleet _fleet = null!;

    public async Task InitializeAsync() => _fleet = await RefreshFleet.CreateAsync(TimeSpan.FromMinutes(1));

    public Task DisposeAsync() => _fleet.DisposeAsync().AsTask();

    [Fact]
    public async Task An_instance_that_reads_an_entry_another_stored_serves_its_compressed_copies_without_compressing()
    {
        await _fleet.Database.SeedAsync("z1", 100);
        var storer = _fleet.Start(_fleet.Settings("Lazy"));
        var reader = _fleet.Start(_fleet.Settings("Lazy"));

        var plain = await storer.Client.GetAnswerAsync("/ranking/z1");
        Assert.Equal("MISS", plain.CacheStatus);
        var made = CompressedVariants.Made;

        foreach (var coding in new[] { "gzip", "br" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/ranking/z1");
            request.Headers.TryAddWithoutValidation("Accept-Encoding", coding);
            using var response = await reader.Client.SendAsync(request);
            Assert.Equal(coding, Assert.Single(response.Content.Headers.ContentEncoding));
            Assert.Equal("FRESH", response.Headers.GetValues("X-Cache-Status").Single());
            Assert.Equal(plain.Body, Decompress(await response.Content.ReadAsByteArrayAsync(), coding));
        }

        Assert.Equal(made, CompressedVariants.Made);
    }

    private static string Decompress(byte[] body, string coding)
    {
        using var input = new MemoryStream(body);
        using Stream decoder = coding == "br" ? new BrotliStream(input, CompressionMode.Decompress) : new GZipStream(input, CompressionMode.Decompress);
        using var text = new StreamReader(decoder);
        return text.ReadToEnd();
    }
}
