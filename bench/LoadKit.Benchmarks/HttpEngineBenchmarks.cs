using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using LoadKit.HttpSteps;
using LoadKit.HttpWire;
using LoadKit.Stats;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LoadKit.Benchmarks;

/// <summary>
/// LoadKit's own HTTP/1.1 engine (<see cref="HttpEngine.LoadKit"/>) per request, against a Kestrel server on
/// 127.0.0.1: the engine alone (a request's bytes out, the response read and its body counted) and the whole HTTP
/// step on it (encoding, status check, statistics). The goal is 0 B per request in steady state.
/// </summary>
[MemoryDiagnoser]
public class HttpEngineBenchmarks
{
    /// <summary>Requests per invocation: the benchmark method's own task is then a sixteenth of a request's cost.</summary>
    private const int Requests = 16;

    private WebApplication _server = null!;
    private WirePool _pool = null!;
    private WireExchange _exchange = null!;
    private WireOrigin _origin = null!;
    private HttpClients _clients = null!;
    private StepContext _context = null!;
    private HttpCall _call = null!;
    private HttpCall _checked = null!;

    /// <summary>Whether responses are read on .NET's socket thread (<see cref="HttpSettings.ResponsesOnSocketThread"/>).</summary>
    [Params(false, true)]
    public bool SocketThread { get; set; }

    [GlobalSetup]
    public async Task StartServer()
    {
        (_server, var address) = await HelloServer.StartAsync();

        _origin = new WireOrigin(address);
        _pool = new WirePool(new WirePoolSettings(int.MaxValue, Inline: SocketThread));
        _exchange = new WireExchange();
        _exchange.Request.Write(Encoding.ASCII.GetBytes($"GET /hello HTTP/1.1\r\nHost: {address.Authority}\r\n\r\n"));

        _clients = new HttpClients(new HttpSettings { BaseAddress = address, Engine = HttpEngine.LoadKit, ResponsesOnSocketThread = SocketThread });
        _context = new StepContext(new Session(0), _clients);
        _context.BeginStep("hello", CancellationToken.None, new StepRecorder("hello"));
        _call = Http.Get("/hello");
        _checked = Http.Get("/hello").WithHeader("Accept", "text/plain").Check(HttpCheck.StatusIs(200)).Extract("type", HttpExtract.Header("Content-Type"));
    }

    [GlobalCleanup]
    public async Task StopServer()
    {
        _context.ReleaseHttp();
        _clients.Dispose();
        _exchange.Dispose();
        _pool.Dispose();
        await _server.DisposeAsync();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Requests, Description = "LoadKit engine: GET, body counted")]
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
}
