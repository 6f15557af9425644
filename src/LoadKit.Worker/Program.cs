using LoadKit.Worker;
using LoadKit.Worker.Registration;
using LoadKit.Worker.Runs;
using LoadKit.Worker.Service;
using Microsoft.AspNetCore.Server.Kestrel.Core;

if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(WorkerOptions.Usage);
    Console.WriteLine("loadkit-worker run TESTS.dll --test NAME [options]: runs NUnit tests as load (see loadkit-worker run --help).");
    return 0;
}

if (args is ["run", .. var runArguments])
{
    using var interrupted = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        // The first Ctrl-C stops the load and still prints what was measured.
        e.Cancel = true;
        interrupted.Cancel();
    };
    return await LoadKit.Worker.NUnitRuns.RunCommand.RunAsync(runArguments, Console.Out, Console.Error, interrupted.Token);
}

var (options, problems) = WorkerOptions.Parse(args, Environment.GetEnvironmentVariable);
if (options is null)
{
    await Console.Error.WriteLineAsync("loadkit-worker: cannot start:");
    foreach (var problem in problems)
    {
        await Console.Error.WriteLineAsync("  - " + problem);
    }

    await Console.Error.WriteLineAsync();
    await Console.Error.WriteLineAsync(WorkerOptions.Usage);
    return 2;
}

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss.fff ";
});
builder.WebHost.ConfigureKestrel(k =>
{
    k.Listen(options.Listen, l =>
    {
        l.Protocols = HttpProtocols.Http2;
        if (options.TlsCertificate is { } certificate)
        {
            l.UseHttps(certificate);
        }
    });

    // HTTP/2 pings find a controller that went silent without closing its connection (a cut network, a frozen process):
    // Kestrel checks on its 1 s heartbeat: the tick after the last frame dates it, a ping goes once more than 1 s passed
    // without one, and the connection is aborted once more than 3 s passed without its answer: the run stops at most
    // about 7 s after the controller went silent (docs/distributed-ci.md, "How a run survives"; OutageTests measure it).
    k.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(1);
    k.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(3);
});
builder.Services.AddSingleton(options);
builder.Services.AddSingleton<WorkerIdentity>();
builder.Services.AddSingleton<WorkerClock>();

// Every line logged during a run also goes to its controller (RunLog), besides the console.
builder.Services.AddSingleton<RunLog>();
builder.Services.AddSingleton<ILoggerProvider>(services => services.GetRequiredService<RunLog>());
builder.Services.AddSingleton<ArtifactStore>();
builder.Services.AddSingleton<TokenInterceptor>();
builder.Services.AddGrpc(o =>
{
    o.Interceptors.Add<TokenInterceptor>();
    o.MaxReceiveMessageSize = 2 * LoadKit.Cluster.Protocol.ArtifactChunk.MaxDataBytes;
});
builder.Services.AddSingleton<EtcdRegistration>();
builder.Services.AddHostedService(services => services.GetRequiredService<EtcdRegistration>());
builder.Services.AddSingleton<RunHost>();
builder.Services.AddSingleton<ClaimCheck>();

var app = builder.Build();
app.MapGrpcService<WorkerService>();

await app.RunAsync();
return 0;
