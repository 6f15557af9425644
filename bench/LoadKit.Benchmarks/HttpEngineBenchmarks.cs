using System.Net.Sockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using LoadKit.HttpSteps;
using LoadKit.HttpWire;
using LoadKit.Stats;

namespace LoadKit.Benchmarks;

/// <summary>
/// LoadKit's own HTTP/1.1 engine (<see cref="HttpEngine.LoadKit"/>) per request, against a server on 127.0.0.1 that
/// allocates nothing per request (<see cref="CannedServer"/>): a raw socket's round trip (the baseline: what the
/// server and the sockets cost), the engine alone (a request's bytes out, the response read and its body counted) and
/// the whole HTTP step on it (encoding, status check, statistics). The goal is 0 B per request in steady state.
/// </summary>
[MemoryDiagnoser]
public class HttpEngineBenchmarks
{
    /// <summary>Requests per invocation: the benchmark method's own task is then a sixteenth of a request's cost.</summary>
    private const int Requests = 16;

    private readonly byte[] _rawResponse = new byte[CannedServer.Response.Length];
    private CannedServer _server = null!;
    private Socket _raw = null!;
    private byte[] _rawRequest = null!;
    private WirePool _pool = null!;
    private WireExchange _exchange = null!;
    private WireOrigin _origin = null!;
    private HttpClients _clients = null!;
    private StepContext _context = null!;
    private HttpCall _call = null!;
    private HttpCall _checked = null!;
    private HttpClients _scheduledClients = null!;
    private IdleArrivalUser _scheduled = null!;

    /// <summary>Whether responses are read on .NET's socket thread (<see cref="HttpSettings.ResponsesOnSocketThread"/>).</summary>
    [Params(false, true)]
    public bool SocketThread { get; set; }

    [GlobalSetup]
    public async Task StartServer()
    {
        _server = new CannedServer();
        var address = _server.Address;
        _rawRequest = Encoding.ASCII.GetBytes($"GET /hello HTTP/1.1\r\nHost: {address.Authority}\r\n\r\n");
        _raw = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await _raw.ConnectAsync(address.Host, address.Port);

        _origin = new WireOrigin(address);
        _pool = new WirePool(new WirePoolSettings(int.MaxValue, Inline: SocketThread));
        _exchange = new WireExchange();
        _exchange.Request.Write(_rawRequest);

        var settings = new HttpSettings { BaseAddress = address, Engine = HttpEngine.LoadKit, ResponsesOnSocketThread = SocketThread };
        _clients = new HttpClients(settings);
        _context = new StepContext(new Session(0), _clients);
        _context.BeginStep("hello", CancellationToken.None, new StepRecorder("hello"));
        _call = Http.Get("/hello");
        _checked = Http.Get("/hello").WithHeader("Accept", "text/plain").Check(HttpCheck.StatusIs(200)).Extract("type", HttpExtract.Header("Content-Type"));

        // An open-model VU with the HTTP step, idle in its pool, as the arrival scheduler finds it.
        _scheduledClients = new HttpClients(settings);
        _scheduled = IdleArrivalUser.Of(Scenario.Create("open").WithHttp(settings).Step("hello", Http.Get("/hello")), _scheduledClients);
    }

    [GlobalCleanup]
    public void StopServer()
    {
        _scheduled.Dispose();
        _scheduledClients.Dispose();
        _context.ReleaseHttp();
        _clients.Dispose();
        _exchange.Dispose();
        _pool.Dispose();
        _raw.Dispose();
        _server.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Requests, Description = "Raw socket: the request's bytes out, the response's in")]
    public async Task RawSocket()
    {
        for (var i = 0; i < Requests; i++)
        {
            await _raw.SendAsync(_rawRequest.AsMemory(), SocketFlags.None);
            for (var got = 0; got < _rawResponse.Length;)
            {
                var read = await _raw.ReceiveAsync(_rawResponse.AsMemory(got), SocketFlags.None);
                got += read > 0 ? read : throw new IOException("the server closed the connection");
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Requests, Description = "LoadKit engine: GET, body counted")]
    public async Task Exchange()
    {
        for (var i = 0; i < Requests; i++)
        {
            await _exchange.SendAsync(_pool, _origin, isHead: false, CancellationToken.None);
        }
    }

    [Benchmark(OperationsPerInvoke = Requests, Description = "LoadKit HTTP step GET on LoadKit's engine")]
    public async Task Step()
    {
        for (var i = 0; i < Requests; i++)
        {
            await HttpSender.SendAsync(_call, _context, reply: null);
        }
    }

    [Benchmark(OperationsPerInvoke = Requests, Description = "... with a header, a status check and a header extraction")]
    public async Task StepWithChecks()
    {
        for (var i = 0; i < Requests; i++)
        {
            await HttpSender.SendAsync(_checked, _context, reply: null);
        }
    }

    /// <summary>
    /// A fixed rate's path: this thread hands an iteration of the HTTP step to an idle VU and runs it up to its wait,
    /// as the arrival scheduler does; the response ends it on the socket thread (or a pool thread), and this thread
    /// waits for the VU to be back in the pool before the next start.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Requests, Description = "HTTP step started as the arrival scheduler starts it")]
    public void ScheduledStep() => _scheduled.HandOver(Requests, inline: true);
}
