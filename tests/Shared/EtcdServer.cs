using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LoadKit.TestTargets;

/// <summary>
/// A real etcd server (Debian's etcd-server, from PATH) on free loopback ports with a temporary data folder,
/// started for a test and stopped by its PID.
/// </summary>
internal sealed class EtcdServer : IAsyncDisposable
{
    private readonly string _dataDirectory;
    private readonly int _peerPort;
    private Process _process;

    private EtcdServer(Process process, string dataDirectory, int clientPort, int peerPort)
    {
        _process = process;
        _dataDirectory = dataDirectory;
        ClientPort = clientPort;
        _peerPort = peerPort;
    }

    public int ClientPort { get; }

    public string Url => $"http://127.0.0.1:{ClientPort}";

    public int ProcessId => _process.Id;

    /// <summary>Starts etcd (on <paramref name="clientPort"/> when given) and waits until it reports healthy.</summary>
    public static async Task<EtcdServer> StartAsync(int? clientPort = null, TimeSpan? timeout = null)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("loadkit-etcd-").FullName;
        var client = clientPort ?? FreePort();
        var peer = FreePort();
        var server = new EtcdServer(Launch(dataDirectory, client, peer), dataDirectory, client, peer);
        try
        {
            await server.WaitHealthyAsync(timeout ?? TimeSpan.FromSeconds(20));
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts etcd again after <see cref="KillAsync"/>: same ports, same data folder (so the same members, keys and
    /// leases), and waits until it reports healthy.
    /// </summary>
    public async Task RestartAsync(TimeSpan? timeout = null)
    {
        await KillAsync(); // the old PID has exited before its ports are reused
        _process.Dispose();
        _process = Launch(_dataDirectory, ClientPort, _peerPort);
        await WaitHealthyAsync(timeout ?? TimeSpan.FromSeconds(20));
    }

    private static Process Launch(string dataDirectory, int client, int peer)
    {
        var start = new ProcessStartInfo("etcd")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            "--name", "t", "--data-dir", Path.Combine(dataDirectory, "data"),
            "--listen-client-urls", $"http://127.0.0.1:{client}", "--advertise-client-urls", $"http://127.0.0.1:{client}",
            "--listen-peer-urls", $"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peer}",
            "--initial-cluster", $"t=http://127.0.0.1:{peer}", "--initial-cluster-state", "new",
            "--logger=zap", $"--log-outputs={Path.Combine(dataDirectory, "etcd.log")}",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("etcd did not start; is etcd-server installed (./test.sh installs it)?");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Kills etcd (SIGKILL) and waits for it to exit, keeping its data folder for a restart.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open is left for the OS's temp cleanup.
        }
    }

    /// <summary>A port nobody listens on right now (the OS picks it; a short race with other processes is accepted).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"etcd exited with code {_process.ExitCode}; see {_dataDirectory}/etcd.log");
            }

            try
            {
                var health = await http.GetStringAsync($"{Url}/health");
                if (health.Contains("\"health\":\"true\"", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"etcd on {Url} was not healthy within {timeout}; see {_dataDirectory}/etcd.log");
            }

            await Task.Delay(50);
        }
    }
}
