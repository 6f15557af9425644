using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using dotnet_etcd;
using Etcdserverpb;
using Grpc.Core;

namespace LoadKit.TestTargets;

/// <summary>
/// TLS for an <see cref="EtcdServer"/>: its certificate and key, and the authority whose client certificates it
/// requires (<c>--client-cert-auth</c>); <see cref="ClientCertificate"/> and <see cref="ClientKey"/> are what the
/// fixture itself presents (to check health and to administer users).
/// </summary>
internal sealed record EtcdTls(string Certificate, string Key, string ClientAuthority, string ClientCertificate, string ClientKey);

/// <summary>
/// A real etcd server (Debian's etcd-server, from PATH) on free loopback ports with a temporary data folder,
/// started for a test and stopped by its PID; with <see cref="EtcdTls"/> it serves TLS and requires client
/// certificates, and <see cref="EnableAuthAsync"/> turns on user/password authentication.
/// </summary>
internal sealed class EtcdServer : IAsyncDisposable
{
    private readonly string _dataDirectory;
    private readonly int _peerPort;
    private readonly EtcdTls? _tls;
    private Process _process;
    private (string User, string Password)? _root;

    private EtcdServer(Process process, string dataDirectory, int clientPort, int peerPort, EtcdTls? tls)
    {
        _process = process;
        _dataDirectory = dataDirectory;
        ClientPort = clientPort;
        _peerPort = peerPort;
        _tls = tls;
    }

    public int ClientPort { get; }

    public string Url => $"{(_tls is null ? "http" : "https")}://127.0.0.1:{ClientPort}";

    public int ProcessId => _process.Id;

    /// <summary>Starts etcd (on <paramref name="clientPort"/> when given) and waits until it reports healthy.</summary>
    public static async Task<EtcdServer> StartAsync(int? clientPort = null, TimeSpan? timeout = null, EtcdTls? tls = null)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("loadkit-etcd-").FullName;
        var client = clientPort ?? FreePort();
        var peer = FreePort();
        var server = new EtcdServer(Launch(dataDirectory, client, peer, tls), dataDirectory, client, peer, tls);
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
        _process = Launch(_dataDirectory, ClientPort, _peerPort, _tls);
        await WaitHealthyAsync(timeout ?? TimeSpan.FromSeconds(20));
    }

    /// <summary>
    /// Turns on authentication: a <c>root</c> user (needed to enable it) and <paramref name="user"/> with read and
    /// write access to the keys under <c>/<paramref name="prefix"/>/</c> only, as docs/distributed-ci.md recommends.
    /// </summary>
    public async Task EnableAuthAsync(string user, string password, string prefix)
    {
        using var client = NewClient();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var rootPassword = "root-" + Guid.NewGuid().ToString("N");
        await client.UserAddAsync(new AuthUserAddRequest { Name = "root", Password = rootPassword }, deadline: deadline);
        await client.RoleAddAsync(new AuthRoleAddRequest { Name = "root" }, deadline: deadline);
        await client.UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = "root", Role = "root" }, deadline: deadline);
        await client.RoleAddAsync(new AuthRoleAddRequest { Name = prefix }, deadline: deadline);
        await client.RoleGrantPermissionAsync(new AuthRoleGrantPermissionRequest
        {
            Name = prefix,
            Perm = new Authpb.Permission
            {
                PermType = Authpb.Permission.Types.Type.Readwrite,
                Key = Google.Protobuf.ByteString.CopyFromUtf8($"/{prefix}/"),
                RangeEnd = Google.Protobuf.ByteString.CopyFromUtf8($"/{prefix}0"), // '0' follows '/': the whole prefix
            },
        }, deadline: deadline);
        await client.UserAddAsync(new AuthUserAddRequest { Name = user, Password = password }, deadline: deadline);
        await client.UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = user, Role = prefix }, deadline: deadline);
        await client.AuthEnableAsync(new AuthEnableRequest(), deadline: deadline);
        _root = ("root", rootPassword);
    }

    /// <summary>A client of this server (its TLS and, once enabled, its root user).</summary>
    public EtcdClient NewClient()
    {
        EtcdClient client;
        if (_tls is null)
        {
            client = new EtcdClient(Url, configureChannelOptions: o => o.Credentials = ChannelCredentials.Insecure);
        }
        else
        {
            var certificate = X509Certificate2.CreateFromPemFile(_tls.ClientCertificate, _tls.ClientKey);
            client = new EtcdClient(Url, ssl =>
            {
                ssl.ClientCertificates = [certificate];
                ssl.RemoteCertificateValidationCallback = (_, _, _, _) => true; // the test's own server
            });
        }

        if (_root is var (user, password))
        {
            client.SetCredentials(user, password);
        }

        return client;
    }

    private static Process Launch(string dataDirectory, int client, int peer, EtcdTls? tls)
    {
        var scheme = tls is null ? "http" : "https";
        var start = new ProcessStartInfo("etcd")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string[] arguments =
        [
            "--name", "t", "--data-dir", Path.Combine(dataDirectory, "data"),
            "--listen-client-urls", $"{scheme}://127.0.0.1:{client}", "--advertise-client-urls", $"{scheme}://127.0.0.1:{client}",
            "--listen-peer-urls", $"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peer}",
            "--initial-cluster", $"t=http://127.0.0.1:{peer}", "--initial-cluster-state", "new",
            "--logger=zap", $"--log-outputs={Path.Combine(dataDirectory, "etcd.log")}",
            .. tls is null ? Array.Empty<string>() :
            ["--cert-file", tls.Certificate, "--key-file", tls.Key, "--client-cert-auth", "--trusted-ca-file", tls.ClientAuthority],
        ];
        foreach (var argument in arguments)
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
        using var handler = new SocketsHttpHandler();
        if (_tls is not null)
        {
            handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(_tls.ClientCertificate, _tls.ClientKey)];
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true; // the test's own server
        }

        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(1) };
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
