using System.Net;
using BenchmarkDotNet.Attributes;
using LoadKit.HttpSteps;
using LoadKit.Stats;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LoadKit.Benchmarks;

/// <summary>
/// What LoadKit's HTTP step adds per request to what HttpClient itself allocates: the same GET against a Kestrel
/// server on 127.0.0.1, once through a bare <see cref="HttpMessageInvoker"/> (the baseline: HttpClient's own cost) and
/// once through the step path (template, status check, statistics, pooled body read).
/// </summary>
[MemoryDiagnoser]
public class HttpStepBenchmarks
{
    private readonly byte[] _buffer = new byte[16 * 1024];
    private WebApplication _server = null!;
    private HttpMessageInvoker _bare = null!;
    private Uri _hello = null!;
    private HttpClients _clients = null!;
    private StepContext _context = null!;
    private HttpCall _call = null!;

    [GlobalSetup]
    public async Task StartServer()
    {
        (_server, var address) = await HelloServer.StartAsync();

        _hello = new Uri(address, "/hello");
        _bare = new HttpMessageInvoker(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });
        _clients = new HttpClients(new HttpSettings { BaseAddress = address });
        _context = new StepContext(new Session(0), _clients);
        _context.BeginStep("hello", CancellationToken.None, new StepRecorder("hello"));
        _call = Http.Get("/hello");
    }

    [GlobalCleanup]
    public async Task StopServer()
    {
        _context.ReleaseHttp();
        _clients.Dispose();
        _bare.Dispose();
        await _server.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "bare HttpMessageInvoker GET + drain")]
    public async Task Bare()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _hello);
        using var response = await _bare.SendAsync(request, CancellationToken.None);
        using var body = response.Content.ReadAsStream();
        while (await body.ReadAsync(_buffer) > 0)
        {
        }
    }

    [Benchmark(Description = "bare, LoadKit's handler and exact version")]
    public async Task BareExact()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _hello) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await _context.HttpInvoker.SendAsync(request, CancellationToken.None);
        using var body = response.Content.ReadAsStream();
        while (await body.ReadAsync(_buffer) > 0)
        {
        }
    }

    [Benchmark(Description = "LoadKit HTTP step GET")]
    public async Task Step() => await HttpSender.SendAsync(_call, _context, reply: null);
}
