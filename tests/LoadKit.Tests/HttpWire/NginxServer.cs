using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using LoadKit.TestTargets;

namespace LoadKit.Tests.HttpWire;

/// <summary>
/// A real nginx (Debian's) on a free 127.0.0.1 port with a config of its own in a temporary folder, one process
/// (<c>master_process off</c>) stopped by its PID. Its locations give the framing cases of the conformance tests, and
/// its access log says what it received: per request the connection, the request's number on it, the URI with its
/// query and the status. A second server block serves the same files over TLS and logs whether each connection resumed
/// a TLS session.
/// </summary>
internal sealed class NginxServer : IDisposable
{
    /// <summary>The body of <c>/text.txt</c> (and of <c>/keepalive/text.txt</c>, <c>/chunked.txt</c>, <c>/gzip.txt</c>).</summary>
    public static readonly string Text = string.Concat(Enumerable.Range(0, 200).Select(i => $"line {i} of a text that compresses well\n"));

    /// <summary>Big headers' names and values: 12 headers of 2,000 characters (24 KB, over nginx's and a client's usual 8 KB buffers).</summary>
    public static readonly (string Name, string Value)[] BigHeaders = [.. Enumerable.Range(1, 12).Select(i => ($"X-Big-{i}", new string((char)('a' + i), 2000)))];

    private readonly Process _process;
    private readonly string _folder;

    private readonly TestCertificates _certificates;

    private NginxServer(Process process, string folder, Uri address, Uri tlsAddress, TestCertificates certificates, X509Certificate2 certificate)
    {
        _certificates = certificates;
        _process = process;
        _folder = folder;
        Address = address;
        TlsAddress = tlsAddress;
        Certificate = certificate;
    }

    public Uri Address { get; }

    /// <summary>The same server over TLS (a self-signed certificate for 127.0.0.1 and localhost, sessions cached and resumable).</summary>
    public Uri TlsAddress { get; }

    /// <summary>The TLS server's certificate (without its key): what a client trusts.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Whether this machine has nginx (<c>apt-get install nginx</c>).</summary>
    public static string? Executable => new[] { "/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists);

    public static async Task<NginxServer> StartAsync()
    {
        var nginx = Executable ?? throw new InvalidOperationException("nginx is not installed: apt-get install nginx");
        var folder = Directory.CreateTempSubdirectory("loadkit-nginx-").FullName;
        Directory.CreateDirectory(Path.Combine(folder, "www", "keepalive"));
        Directory.CreateDirectory(Path.Combine(folder, "temp"));
        foreach (var file in new[] { "text.txt", "keepalive/text.txt", "chunked.txt", "gzip.txt" })
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "www", file), Text);
        }

        var port = FreePort();
        var tlsPort = FreePort();
        // Self-signed for 127.0.0.1 and localhost (.NET resumes TLS sessions for host names only).
        var certificates = TestCertificates.Create("loadkit-nginx");
        var (certificateFile, keyFile) = certificates.SelfSigned("server", "localhost");

        var bigHeaders = string.Concat(BigHeaders.Select(h => $"            add_header {h.Name} \"{h.Value}\";\n"));
        await File.WriteAllTextAsync(Path.Combine(folder, "nginx.conf"), $$"""
            master_process off;
            error_log {{folder}}/error.log warn;
            pid {{folder}}/nginx.pid;
            events { worker_connections 256; }
            http {
                log_format conformance '$connection $connection_requests $request_method $request_uri $status';
                access_log {{folder}}/access.log conformance;
                client_body_temp_path {{folder}}/temp/body;
                proxy_temp_path {{folder}}/temp/proxy;
                fastcgi_temp_path {{folder}}/temp/fastcgi;
                uwsgi_temp_path {{folder}}/temp/uwsgi;
                scgi_temp_path {{folder}}/temp/scgi;
                default_type text/plain;
                keepalive_requests 1000;
                if_modified_since before;
                large_client_header_buffers 4 16k;
                server {
                    listen 127.0.0.1:{{port}};
                    root {{folder}}/www;
                    location /keepalive/ { keepalive_requests 3; }
                    location = /close { keepalive_timeout 0; return 200 "closing"; }
                    location = /empty { return 204; }
                    # sub_filter rewrites the body as it streams, so nginx drops the length and sends chunks.
                    location = /chunked.txt { sub_filter 'line' 'LINE'; sub_filter_once off; sub_filter_types text/plain; }
                    location = /gzip.txt { gzip on; gzip_types text/plain; gzip_min_length 1; }
                    location = /big-headers {
            {{bigHeaders}}            return 200 "big";
                    }
                }
                log_format tls '$connection $ssl_session_reused $request_uri';
                ssl_session_cache shared:loadkit:1m;
                server {
                    listen 127.0.0.1:{{tlsPort}} ssl;
                    ssl_certificate {{certificateFile}};
                    ssl_certificate_key {{keyFile}};
                    access_log {{folder}}/tls.log tls;
                    root {{folder}}/www;
                    location = /close { keepalive_timeout 0; return 200 "closing"; }
                }
            }
            """);
        var start = new ProcessStartInfo(nginx) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-p", folder, "-c", Path.Combine(folder, "nginx.conf"), "-g", "daemon off;" })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        var server = new NginxServer(
            process, folder, new Uri($"http://127.0.0.1:{port}/"), new Uri($"https://127.0.0.1:{tlsPort}/"),
            certificates, X509CertificateLoader.LoadCertificateFromFile(certificateFile));
        try
        {
            await Eventually.UntilAsync(() => process.HasExited || (Listens(port) && Listens(tlsPort)), TimeSpan.FromSeconds(15), () => "nginx did not listen on its ports");
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited with {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}{ErrorLog(folder)}");
            }
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return server;
    }

    /// <summary>The access log's lines whose URI contains <paramref name="marker"/>: (connection, request on it, method, URI, status).</summary>
    public (long Connection, int Request, string Method, string Uri, int Status)[] Received(string marker) =>
        [.. File.ReadAllLines(Path.Combine(_folder, "access.log"))
            .Select(l => l.Split(' '))
            .Where(f => f.Length == 5 && f[3].Contains(marker, StringComparison.Ordinal))
            .Select(f => (long.Parse(f[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture), f[2], f[3], int.Parse(f[4], System.Globalization.CultureInfo.InvariantCulture)))];

    /// <summary>The TLS server's requests whose URI contains <paramref name="marker"/>: (connection, whether its TLS session was resumed).</summary>
    public (long Connection, bool Resumed)[] TlsReceived(string marker) =>
        [.. File.ReadAllLines(Path.Combine(_folder, "tls.log"))
            .Select(l => l.Split(' '))
            .Where(f => f.Length == 3 && f[2].Contains(marker, StringComparison.Ordinal))
            .Select(f => (long.Parse(f[0], System.Globalization.CultureInfo.InvariantCulture), f[1] == "r"))];

    public void Dispose()
    {
        Certificate.Dispose();
        _certificates.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(); // the nginx this fixture started, by its handle (one process: master_process off)
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static bool Listens(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string ErrorLog(string folder)
    {
        var log = Path.Combine(folder, "error.log");
        return File.Exists(log) ? Environment.NewLine + File.ReadAllText(log, Encoding.UTF8) : "";
    }
}
