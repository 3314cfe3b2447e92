using System.Diagnostics;
using System.Globalization;

namespace Ranking.Gateway.Tests.Infrastructure;

/// <summary>
/// A Redis Cluster of the test's own (plain redis-server processes in cluster mode, made a cluster by
/// <c>redis-cli --cluster create</c>), so a test can kill a master without disturbing other tests.
/// </summary>
public sealed class RedisClusterServer(int masters, bool replicas, TimeSpan nodeTimeout) : IAsyncDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("rg-cluster-").FullName;
    private readonly List<Node> _nodes = [];

    public string ConnectionString => string.Join(',', _nodes.Select(n => $"127.0.0.1:{n.Port}"));

    public async Task StartAsync()
    {
        var count = replicas ? masters * 2 : masters;
        for (var i = 0; i < count; i++)
        {
            var node = new Node(LocalPort.Free(), LocalPort.Free(), Path.Combine(_root, i.ToString(CultureInfo.InvariantCulture)));
            Directory.CreateDirectory(node.Dir);
            _nodes.Add(node);
            await StartAsync(node);
        }

        await CliAsync(["--cluster", "create", .. _nodes.Select(n => $"127.0.0.1:{n.Port}"), "--cluster-replicas", replicas ? "1" : "0", "--cluster-yes"]);
        await WaitUntilHealthyAsync();
    }

    /// <summary>Kills (SIGKILL) the master serving <paramref name="key"/>'s slot; returns its port.</summary>
    public async Task<int> KillMasterOfAsync(string key)
    {
        var port = await MasterOfAsync(key) ?? throw new InvalidOperationException($"No live master serves {key}.");
        var node = _nodes.Single(n => n.Port == port);
        node.Process!.Kill();
        await node.Process.WaitForExitAsync();
        node.Process.Dispose();
        node.Process = null;
        return port;
    }

    /// <summary>Starts a killed node again (same port, same nodes.conf: it rejoins) and waits for a healthy cluster.</summary>
    public async Task RestartAsync(int port)
    {
        await StartAsync(_nodes.Single(n => n.Port == port));
        await WaitUntilHealthyAsync();
    }

    /// <summary>Whether a live node says the cluster is <c>ok</c> (every slot served).</summary>
    public async Task<bool> IsOkAsync() =>
        (await CliAsync(["-p", $"{_nodes.First(n => n.Process is not null).Port}", "cluster", "info"])).Contains("cluster_state:ok", StringComparison.Ordinal);

    /// <summary>The port of the master serving <paramref name="key"/>'s slot, as a live node sees it; null if none does.</summary>
    public async Task<int?> MasterOfAsync(string key)
    {
        var live = _nodes.First(n => n.Process is not null);
        var slot = int.Parse((await CliAsync(["-p", $"{live.Port}", "cluster", "keyslot", key])).Trim(), CultureInfo.InvariantCulture);
        foreach (var line in (await CliAsync(["-p", $"{live.Port}", "cluster", "nodes"])).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // <id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot ranges...>
            var fields = line.Split(' ');
            if (!fields[2].Contains("master", StringComparison.Ordinal) || fields[2].Contains("fail", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (var range in fields.Skip(8))
            {
                var bounds = range.Split('-');
                var (from, to) = (int.Parse(bounds[0], CultureInfo.InvariantCulture), int.Parse(bounds[^1], CultureInfo.InvariantCulture));
                if (slot >= from && slot <= to)
                {
                    return int.Parse(fields[1].Split('@')[0].Split(':')[1], CultureInfo.InvariantCulture);
                }
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes.Where(n => n.Process is not null))
        {
            node.Process!.Kill();
            await node.Process.WaitForExitAsync();
            node.Process.Dispose();
        }

        Directory.Delete(_root, recursive: true);
    }

    private async Task StartAsync(Node node)
    {
        string[] args =
        [
            "--port", $"{node.Port}", "--cluster-port", $"{node.BusPort}", "--bind", "127.0.0.1", "--dir", node.Dir,
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", $"{(long)nodeTimeout.TotalMilliseconds}", "--save", "", "--appendonly", "no",
            // A replica that never finished its first sync does not stand in for its master: sync at once.
            "--repl-diskless-sync-delay", "0",
        ];
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        node.Process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        node.Process.OutputDataReceived += (_, _) => { };
        node.Process.BeginOutputReadLine();
        await Eventually.Until(() => Task.FromResult(LocalPort.Accepts(node.Port)), ok => ok, $"cluster node on port {node.Port}");
    }

    // Every live node sees every slot served and agrees on the live nodes; every replica is in sync with its master.
    private Task WaitUntilHealthyAsync() =>
        Eventually.Until(
            async () =>
            {
                foreach (var node in _nodes.Where(n => n.Process is not null))
                {
                    var info = await CliAsync(["-p", $"{node.Port}", "cluster", "info"]);
                    if (!info.Contains("cluster_state:ok", StringComparison.Ordinal) || !info.Contains($"cluster_known_nodes:{_nodes.Count}", StringComparison.Ordinal))
                    {
                        return false;
                    }

                    var replication = await CliAsync(["-p", $"{node.Port}", "info", "replication"]);
                    if (replication.Contains("role:slave", StringComparison.Ordinal) && !replication.Contains("master_link_status:up", StringComparison.Ordinal))
                    {
                        return false;
                    }
                }

                return true;
            },
            ok => ok,
            "a healthy cluster",
            TimeSpan.FromSeconds(30));

    private static async Task<string> CliAsync(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("redis-cli did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"redis-cli {string.Join(' ', start.ArgumentList)} failed: {await error}{await output}");
    }

    private sealed class Node(int port, int busPort, string dir)
    {
        public int Port { get; } = port;

        public int BusPort { get; } = busPort;

        public string Dir { get; } = dir;

        public Process? Process { get; set; }
    }
}
