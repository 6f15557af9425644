using System.IO.Compression;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using LoadKit.HttpWire;
using LoadKit.TestTargets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace LoadKit.Tests.HttpWire;

/// <summary>
/// LoadKit's HTTP/1.1 engine against servers on 127.0.0.1 that write exact bytes (framing, interim responses,
/// malformed responses, closed connections, slow and large bodies) and against Kestrel over TLS.
/// </summary>
public class WireExchangeTests
{
    private const string Get = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Test]
    public async Task SendAsync_ContentLength_KeepsTheBodyAndReusesTheConnection()
    {
        await using var server = RawHttpServer.Always("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        using var pool = Pool();
        using var exchange = new WireExchange { KeepBody = true };

        for (var i = 0; i < 3; i++)
        {
            await SendAsync(exchange, pool, server.Address, Get);
            Assert.That((exchange.Status, Text(exchange), exchange.BodyBytes), Is.EqualTo((200, "hello", 5L)));
        }

        Assert.That((server.Accepted, server.Requests), Is.EqualTo((1, 3)));
    }

    [Test]
    public async Task SendAsync_ChunkedWithExtensionsAndTrailers_JoinsTheChunksAndReusesTheConnection()
    {
        await using var server = RawHttpServer.Always(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 1\r\nX-More: 2\r\n\r\n");
        using var pool = Pool();
        using var exchange = new WireExchange { KeepBody = true };

        await SendAsync(exchange, pool, server.Address, Get);
        await SendAsync(exchange, pool, server.Address, Get);

        Assert.That((exchange.Status, Text(exchange), exchange.BodyBytes), Is.EqualTo((200, "hello world", 11L)));
        Assert.That(server.Accepted, Is.EqualTo(1));
    }

    [TestCase("HEAD", 200)]
    [TestCase("GET", 204)]
    [TestCase("GET", 304)]
    public async Task SendAsync_ResponseWithoutBody_ReadsNoBodyAndTheNextResponseFollows(string method, int status)
    {
        // A Content-Length that announces the body a GET would get: there is none, the next response follows at once.
        await using var server = new RawHttpServer(async (request, stream, ct) =>
        {
            var response = request.Number == 1 ? $"HTTP/1.1 {status} X\r\nContent-Length: 100\r\n\r\n" : "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(response), ct);
            return true;
        });
        using var pool = Pool();
        using var exchange = new WireExchange { KeepBody = true };

        await SendAsync(exchange, pool, server.Address, $"{method} / HTTP/1.1\r\nHost: test\r\n\r\n", isHead: method == "HEAD");
        Assert.That((exchange.Status, exchange.BodyBytes), Is.EqualTo((status, 0L)));
        await SendAsync(exchange, pool, server.Address, Get);

        Assert.That((exchange.Status, Text(exchange)), Is.EqualTo((200, "next")));
        Assert.That(server.Accepted, Is.EqualTo(1));
    }

    [Test]
    public async Task SendAsync_InterimResponses_AreSkippedForTheFinalOne()
    {
        await using var server = RawHttpServer.Always(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
        using var pool = Pool();
        using var exchange = new WireExchange { KeepBody = true, KeepAllHeaders = true };

        await SendAsync(exchange, pool, server.Address, "POST / HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc");

        Assert.That((exchange.Status, Text(exchange), exchange.Header("Link")), Is.EqualTo((201, "ok", (string?)null)));
    }

    [Test]
    public async Task SendAsync_NoLengthNorChunks_ReadsUntilTheServerCloses()
    {
        await using var server = new RawHttpServer(async (_, stream, ct) =>
        {
            await stream.WriteAsync("HTTP/1.1 200 OK\r\n\r\nall of it until close"u8.ToArray(), ct);
            return false;
        });
        using var pool = Pool();
        using var exchange = new WireExchange { KeepBody = true };

        await SendAsync(exchange, pool, server.Address, Get);
        Assert.That(Text(exchange), Is.EqualTo("all of it until close"));
        await SendAsync(exchange, pool, server.Address, Get);

        Assert.That((server.Accepted, server.Requests), Is.EqualTo((2, 2)));
    }

    [Test]
    public async Task SendAsync_ConnectionClose_SendsTheNextRequestOnANewConnection()
    {
        await using var server = RawHttpServer.Always("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
        using var pool = Pool();
        using var exchange = new WireExchange();

        for (var i = 0; i < 3; i++)
        {
            await SendAsync(exchange, pool, server.Address, Get);
        }

        Assert.That((server.Accepted, server.Requests), Is.EqualTo((3, 3)));
    }

    [Test]
    public async Task SendAsync_ServerClosedTheIdleConnection_SendsOnANewOneWithoutAFailure()
    {
        await using var server = new RawHttpServer(async (_, stream, ct) =>
        {
            await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray(), ct);
            return false; // closes without saying so (no Connection: close)
        });
        using var pool = Pool();
        using var exchange = new WireExchange { KeepBody = true };

        await SendAsync(exchange, pool, server.Address, Get);
        await Eventually.UntilAsync(() => server.Closed == 1, Bound, () => "the server did not close its connection");
        await SendAsync(exchange, pool, server.Address, Get);

        Assert.That((exchange.Status, Text(exchange)), Is.EqualTo((200, "ok")));
        Assert.That((server.Accepted, server.Requests), Is.EqualTo((2, 2)), "the request went once, on a new connection");
    }

    [Test]
    public async Task SendAsync_ServerClosesAfterReadingTheRequest_FailsAndDoesNotSendItAgain()
    {
        await using var server = new RawHttpServer(async (request, stream, ct) =>
        {
            if (request.Number > 1)
            {
                return false; // read, then closed without a response: it may have been processed
            }

            await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray(), ct);
            return true;
        });
        using var pool = Pool();
        using var exchange = new WireExchange();
        await SendAsync(exchange, pool, server.Address, Get);

        var error = Assert.ThrowsAsync<HttpRequestException>(() => SendAsync(exchange, pool, server.Address, Get))!;

        Assert.That(error.Message, Is.EqualTo($"127.0.0.1:{server.Address.Port} closed the connection before responding (the request may have reached it, so it was not sent again)"));
        Assert.That(server.Requests, Is.EqualTo(2));
    }

    [Test]
    public async Task SendAsync_WriteOnAReusedConnectionFails_SendsOnceMoreOnANewConnection()
    {
        // A server that answers each request and keeps a connection open after the client's end of sending, so that
        // the pooled connection looks alive when it is taken (nothing to read) and only its write fails.
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var address = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
        var (accepted, requests) = (0, 0);
        var held = new List<System.Net.Sockets.Socket>();
        using var stop = new CancellationTokenSource();
        var serving = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var socket = await listener.AcceptSocketAsync(stop.Token);
                Interlocked.Increment(ref accepted);
                lock (held)
                {
                    held.Add(socket);
                }

                _ = Task.Run(async () =>
                {
                    var buffer = new byte[4096];
                    int read;
                    while ((read = await socket.ReceiveAsync(buffer, stop.Token)) > 0)
                    {
                        if (Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                        {
                            Interlocked.Increment(ref requests);
                            await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray(), stop.Token);
                        }
                    }
                });
            }
        });
        using var first = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await first.ConnectAsync(IPAddress.Loopback, address.Port);
        var origin = new WireOrigin(address);
        WireConnection? toHandOver = new(origin, first, new System.Net.Sockets.NetworkStream(first, ownsSocket: false));
        using var pool = new WirePool(new WirePoolSettings(int.MaxValue, TakeOpened: _ => Interlocked.Exchange(ref toHandOver, null)));
        using var exchange = new WireExchange { KeepBody = true };
        await SendAsync(exchange, pool, address, Get);

        // Our end of the pooled connection can no longer send: its next write fails before anything reaches the server.
        first.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        await SendAsync(exchange, pool, address, Get);

        Assert.That((exchange.Status, Text(exchange)), Is.EqualTo((200, "ok")));
        Assert.That((Volatile.Read(ref accepted), Volatile.Read(ref requests)), Is.EqualTo((2, 2)), "the failed write went once more, on a new connection");
        await stop.CancelAsync();
        listener.Stop();
        lock (held)
        {
            held.ForEach(h => h.Dispose());
        }

        await serving.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    [TestCase("HTTP/1.1 200 OK\nContent-Length: 2\nX-Id: 7\n\nok", "ok")]
    [TestCase("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Id: 7\n\nok", "ok")]
    [TestCase("HTTP/1.1 200 OK\nContent-Length: 2\nX-Id: 7\r\n\r\nok", "ok")]
    [TestCase("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Id: 7\r\n\r\n5\nhello\n3;x=y\n ok\n0\nT: 1\n\n", "hello ok")]
    [TestCase("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\nX-Id: 7\n\n5\r\nhello\n3\n ok\r\n0\n\r\n", "hello ok")]
    public async Task SendAsync_LinesEndingInABareLineFeed_AreReadAndTheConnectionKept(string response, string body)
    {
        await using var server = RawHttpServer.Always(response);
        using var pool = Pool();
        using var exchange = new WireExchange { KeepBody = true, KeepAllHeaders = true };

        for (var i = 0; i < 2; i++)
        {
            await SendAsync(exchange, pool, server.Address, Get).WaitAsync(Bound);
            Assert.That((exchange.Status, Text(exchange), exchange.Header("X-Id")), Is.EqualTo((200, body, "7")));
        }

        Assert.That((server.Accepted, server.Requests), Is.EqualTo((1, 2)));
    }

    private static IEnumerable<TestCaseData> MalformedResponses()
    {
        yield return new TestCaseData("HTTP/1.1 OK\r\n\r\n", "its status line 'HTTP/1.1 OK' is not 'HTTP/1.x NNN reason' with a status from 100 to 999").SetName("BadStatusLine");
        yield return new TestCaseData("SSH-2.0-OpenSSH_9.2\r\n\r\n", "its status line 'SSH-2.0-OpenSSH_9.2' is not 'HTTP/1.x NNN reason' with a status from 100 to 999").SetName("NotHttp");
        yield return new TestCaseData("HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n", "its Content-Length '-5' is not a whole number of 0 or more").SetName("NegativeContentLength");
        yield return new TestCaseData("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "it has two different Content-Length headers").SetName("TwoContentLengths");
        yield return new TestCaseData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", "its chunk size 'zz' is not a hexadecimal number").SetName("BrokenChunkSize");
        yield return new TestCaseData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n", "a chunk of its body is longer than its chunk size says").SetName("ChunkLongerThanItsSize");
        yield return new TestCaseData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", "the connection closed before the end of a body of 5 bytes").SetName("ChunkedCutShort");
        yield return new TestCaseData("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "the connection closed before the end of a body of 10 bytes").SetName("BodyCutShort");
        yield return new TestCaseData("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "its header line 'no colon here' is not 'name: value'").SetName("HeaderWithoutColon");
        yield return new TestCaseData("HTTP/1.1 200 OK\r\nContent-Le", "the connection closed in the middle of its headers").SetName("HeadersCutShort");
        yield return new TestCaseData($"HTTP/1.1 200 OK\r\nX-Big: {new string('x', 70_000)}\r\n\r\n", "its status line and headers are larger than 65536 bytes, the limit of LoadKit's HTTP engine").SetName("HeadersTooLarge");
    }

    [TestCaseSource(nameof(MalformedResponses))]
    public async Task SendAsync_MalformedResponse_FailsSayingWhatIsWrongAndFromWhere(string response, string expected)
    {
        await using var server = new RawHttpServer(async (_, stream, ct) =>
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(response), ct);
            return false;
        });
        using var pool = Pool();
        using var exchange = new WireExchange { KeepBody = true };

        var error = Assert.ThrowsAsync<HttpRequestException>(() => SendAsync(exchange, pool, server.Address, Get))!;

        Assert.That(error.Message, Is.EqualTo($"malformed response from 127.0.0.1:{server.Address.Port}: {expected}"));
    }

    [TestCase("gzip", DecompressionMethods.GZip)]
    [TestCase("deflate", DecompressionMethods.Deflate)]
    [TestCase("br", DecompressionMethods.Brotli)]
    [TestCase("identity, GZIP", DecompressionMethods.GZip)]
    public async Task SendAsync_CompressedBody_IsDecompressedWhenKeptAndCountedAsItCame(string coding, DecompressionMethods method)
    {
        var text = string.Concat(Enumerable.Repeat("compressible text ", 200));
        var compressed = Compress(coding.Split(',')[^1].Trim().ToLowerInvariant(), Encoding.UTF8.GetBytes(text));
        await using var server = new RawHttpServer(async (_, stream, ct) =>
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\nContent-Length: {compressed.Length}\r\n\r\n"), ct);
            await stream.WriteAsync(compressed, ct);
            return true;
        });
        using var pool = Pool();
        using var kept = new WireExchange { KeepBody = true, Decompression = method };
        using var counted = new WireExchange { Decompression = method };

        await SendAsync(kept, pool, server.Address, Get);
        await SendAsync(counted, pool, server.Address, Get);

        Assert.That(Text(kept), Is.EqualTo(text));
        Assert.That((kept.BodyBytes, counted.BodyBytes), Is.EqualTo(((long)compressed.Length, (long)compressed.Length)));
    }

    [Test]
    public async Task SendAsync_TrickledResponse_IsReadWhole()
    {
        var response = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Id: 7\r\n\r\n4\r\nslow\r\n5\r\n drip\r\n0\r\nT: 1\r\n\r\n");
        await using var server = new RawHttpServer(async (_, stream, ct) =>
        {
            foreach (var b in response)
            {
                await stream.WriteAsync(new[] { b }, ct);
                await stream.FlushAsync(ct);
                await Task.Delay(1, ct); // the slow server under test, not a synchronisation
            }

            return true;
        });
        using var pool = Pool();
        using var exchange = new WireExchange { KeepBody = true, KeepHeaders = ["x-id"] };

        await SendAsync(exchange, pool, server.Address, Get);
        await SendAsync(exchange, pool, server.Address, Get);

        Assert.That((exchange.Status, Text(exchange), exchange.Header("X-Id")), Is.EqualTo((200, "slow drip", "7")));
        Assert.That(server.Accepted, Is.EqualTo(1));
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task SendAsync_TenMegabyteBody_IsCountedOrKeptWhole(bool keep)
    {
        const int size = 10 * 1024 * 1024;
        var body = new byte[size];
        new Random(7).NextBytes(body);
        await using var server = new RawHttpServer(async (_, stream, ct) =>
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n"), ct);
            await stream.WriteAsync(body, ct);
            return true;
        });
        using var pool = Pool();
        using var exchange = new WireExchange { KeepBody = keep };

        await SendAsync(exchange, pool, server.Address, Get);
        await SendAsync(exchange, pool, server.Address, Get);

        Assert.That(exchange.BodyBytes, Is.EqualTo(size));
        Assert.That(exchange.Body.Length, Is.EqualTo(keep ? size : 0));
        Assert.That(!keep || exchange.Body.SequenceEqual(body), "the kept body is the one sent");
        Assert.That(server.Accepted, Is.EqualTo(1));
    }

    [Test]
    public async Task SendAsync_TimeoutMidBody_CancelsAndTheConnectionIsNotReused()
    {
        await using var server = new RawHttpServer(async (request, stream, ct) =>
        {
            if (request.Number == 1)
            {
                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf of it"u8.ToArray(), ct);
                await Task.Delay(Timeout.Infinite, ct); // stalls mid-body until the server stops
            }

            await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray(), ct);
            return true;
        });
        using var pool = Pool();
        using var exchange = new WireExchange { KeepBody = true };
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        Assert.CatchAsync<OperationCanceledException>(() => SendAsync(exchange, pool, server.Address, Get, cancellationToken: timeout.Token));
        await SendAsync(exchange, pool, server.Address, Get);

        Assert.That((exchange.Status, Text(exchange)), Is.EqualTo((200, "ok")));
        Assert.That(server.Accepted, Is.EqualTo(2), "the cut connection was closed, the next request opened another");
    }

    [Test]
    public async Task SendAsync_OneConnectionAllowed_ConcurrentRequestsTakeTurns()
    {
        await using var server = RawHttpServer.Always("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        using var pool = new WirePool(new WirePoolSettings(MaxConnectionsPerServer: 1));
        var exchanges = Enumerable.Range(0, 4).Select(_ => new WireExchange()).ToArray();

        await Task.WhenAll(exchanges.Select(e => SendAsync(e, pool, server.Address, Get)));

        Assert.That(exchanges.Select(e => e.Status), Is.All.EqualTo(200));
        Assert.That((server.Accepted, server.Requests), Is.EqualTo((1, 4)));
        foreach (var exchange in exchanges)
        {
            exchange.Dispose();
        }
    }

    [Test]
    public async Task SendAsync_OverTls_HandshakesOnceAndRecordsConnectAndHandshakeApart()
    {
        using var certificates = TestCertificates.Create();
        using var certificate = TestCertificates.ForServer(certificates.SelfSigned("server", "localhost"));
        var app = LoopbackApp.CreateHttps(certificate);
        var seen = new List<string>();
        app.MapGet("/tls", (HttpContext context) =>
        {
            lock (seen)
            {
                seen.Add($"{context.Request.Protocol} {context.Request.IsHttps} {context.Connection.Id}");
            }

            return "secret";
        });
        var address = (await LoopbackApp.StartAsync(app))[0];
        await using var _ = app;
        using var pool = new WirePool(new WirePoolSettings(int.MaxValue, CertificateCheck: (_, _, _, _) => true));
        using var exchange = new WireExchange { KeepBody = true };
        var request = $"GET /tls HTTP/1.1\r\nHost: 127.0.0.1:{address.Port}\r\n\r\n";

        await SendAsync(exchange, pool, address, request);
        var (connect, handshake) = (exchange.ConnectTicks, exchange.TlsTicks);
        await SendAsync(exchange, pool, address, request);

        Assert.That(address.Scheme, Is.EqualTo("https"));
        Assert.That(connect, Is.GreaterThan(0), "the first request connected");
        Assert.That(handshake, Is.GreaterThan(0), "the first request shook hands");
        Assert.That((exchange.ConnectTicks, exchange.TlsTicks), Is.EqualTo((0L, 0L)), "the second reused the connection");
        Assert.That(Text(exchange), Is.EqualTo("secret"));
        Assert.That(seen.Select(s => s[..s.LastIndexOf(' ')]), Is.EqualTo(new[] { "HTTP/1.1 True", "HTTP/1.1 True" }));
        Assert.That(seen.Select(s => s[(s.LastIndexOf(' ') + 1)..]).Distinct().Count(), Is.EqualTo(1));
    }

    [Test]
    public async Task SendAsync_TlsWithAnUntrustedCertificate_FailsNamingTheHandshake()
    {
        using var certificates = TestCertificates.Create();
        using var certificate = TestCertificates.ForServer(certificates.SelfSigned("server", "localhost"));
        var app = LoopbackApp.CreateHttps(certificate);
        app.MapGet("/", () => "x");
        var address = (await LoopbackApp.StartAsync(app))[0];
        await using var _ = app;
        using var pool = Pool();
        using var exchange = new WireExchange();

        var error = Assert.ThrowsAsync<HttpRequestException>(() => SendAsync(exchange, pool, address, Get))!;

        Assert.That(error.Message, Does.StartWith($"TLS handshake with 127.0.0.1:{address.Port} failed: "));
    }

    [Test]
    public async Task SendAsync_NothingListens_FailsNamingTheAddress()
    {
        var address = new Uri($"http://127.0.0.1:{FreePort()}/");
        using var pool = Pool();
        using var exchange = new WireExchange();

        var error = Assert.ThrowsAsync<HttpRequestException>(() => SendAsync(exchange, pool, address, Get))!;

        Assert.That(error.Message, Does.EndWith($"(127.0.0.1:{address.Port})"));
    }

    private static WirePool Pool() => new(new WirePoolSettings(int.MaxValue));

    private static async Task SendAsync(WireExchange exchange, WirePool pool, Uri address, string request, bool isHead = false, CancellationToken cancellationToken = default)
    {
        exchange.Request.Clear();
        exchange.Request.Write(Encoding.ASCII.GetBytes(request));
        await exchange.SendAsync(pool, new WireOrigin(address), isHead, cancellationToken).AsTask().WaitAsync(Bound);
    }

    private static string Text(WireExchange exchange) => Encoding.UTF8.GetString(exchange.Body);

    private static byte[] Compress(string coding, byte[] data)
    {
        using var output = new MemoryStream();
        using (Stream encoder = coding switch
        {
            "gzip" => new GZipStream(output, CompressionLevel.Fastest),
            "deflate" => new ZLibStream(output, CompressionLevel.Fastest),
            _ => new BrotliStream(output, CompressionLevel.Fastest),
        })
        {
            encoder.Write(data);
        }

        return output.ToArray();
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
