using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using LoadKit.Grpc.Tests.Protos;
using LoadKit.TestTargets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LoadKit.Grpc.Tests;

/// <summary>A real Kestrel gRPC server on 127.0.0.1 (h2c, or TLS with a given certificate) that counts what it served.</summary>
internal sealed class OrdersServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OrdersServer(WebApplication app, Uri address, OrdersCounts counts)
    {
        _app = app;
        Address = address;
        Counts = counts;
    }

    public Uri Address { get; }

    public OrdersCounts Counts { get; }

    public static async Task<OrdersServer> StartAsync(X509Certificate2? certificate = null, bool reflection = true)
    {
        var counts = new OrdersCounts();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.Services.AddGrpc();
        builder.Services.AddGrpcReflection();
        builder.Services.AddSingleton(counts);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }

            // Counts connections as the server accepts them, to compare with what the client says it opened.
            listen.Use(next => connection =>
            {
                Interlocked.Increment(ref counts.Connections);
                return next(connection);
            });
        }));
        var app = builder.Build();
        app.Use(async (http, next) =>
        {
            if (http.Request.Path.Value?.StartsWith("/grpc.reflection.", StringComparison.Ordinal) == true)
            {
                Interlocked.Increment(ref counts.ReflectionCalls);
            }

            counts.FirstArrivals.TryAdd(http.Request.Headers.Authorization.ToString(), DateTimeOffset.UtcNow);

            await next(http);
        });
        app.MapGrpcService<OrdersService>();
        if (reflection)
        {
            app.MapGrpcReflectionService();
        }
        var addresses = await LoopbackApp.StartAsync(app);
        return new OrdersServer(app, addresses[0], counts);
    }

    /// <summary>Makes a call from this process and forgets it, so that the server's own first-call costs are paid before a test times calls.</summary>
    public async Task WarmUpAsync()
    {
        using var channel = global::Grpc.Net.Client.GrpcChannel.ForAddress(Address);
        await new Protos.Orders.OrdersClient(channel).GetAsync(new OrderRequest { Id = 1 }, new Metadata { { "authorization", "warm-up" } });
        Counts.Reset();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>What the server served: per method, the calls it finished; connections; the owners it saw.</summary>
internal sealed class OrdersCounts
{
    public int Connections;
    public int ReflectionCalls;
    public int Gets;
    public int Lists;
    public int Uploads;
    public int UploadedMessages;
    public int Chats;
    public int ChatMessages;
    public int ChatsEnded;

    public ConcurrentDictionary<string, int> Owners { get; } = new(StringComparer.Ordinal);

    /// <summary>When the server's pipeline first saw a request of each authorization value (a VU's), by its clock.</summary>
    public ConcurrentDictionary<string, DateTimeOffset> FirstArrivals { get; } = new(StringComparer.Ordinal);

    public void Reset()
    {
        Connections = ReflectionCalls = Gets = Lists = Uploads = UploadedMessages = Chats = ChatMessages = ChatsEnded = 0;
        Owners.Clear();
        FirstArrivals.Clear();
    }
}

internal sealed class OrdersService(OrdersCounts counts) : Protos.Orders.OrdersBase
{
    public override async Task<Order> Get(OrderRequest request, ServerCallContext context)
    {
        if (request.DelayMs > 0)
        {
            await Task.Delay(request.DelayMs, context.CancellationToken);
        }

        Interlocked.Increment(ref counts.Gets);
        if (request.Status != 0)
        {
            throw new RpcException(new Status((StatusCode)request.Status, "order refused"));
        }

        var owner = context.RequestHeaders.GetValue("authorization") ?? "";
        counts.Owners.AddOrUpdate(owner, 1, (_, n) => n + 1);
        return new Order { Id = request.Id, Owner = owner, Customer = new Customer { Name = $"customer {request.Id}" } };
    }

    public override async Task List(ListRequest request, IServerStreamWriter<Order> responseStream, ServerCallContext context)
    {
        for (var i = 1; i <= request.Count; i++)
        {
            await responseStream.WriteAsync(new Order { Id = i }, context.CancellationToken);
        }

        Interlocked.Increment(ref counts.Lists);
    }

    public override async Task<UploadReply> Upload(IAsyncStreamReader<Order> requestStream, ServerCallContext context)
    {
        var count = 0;
        await foreach (var _ in requestStream.ReadAllAsync(context.CancellationToken))
        {
            count++;
        }

        Interlocked.Add(ref counts.UploadedMessages, count);
        Interlocked.Increment(ref counts.Uploads);
        return new UploadReply { Count = count };
    }

    public override async Task Chat(IAsyncStreamReader<ChatMessage> requestStream, IServerStreamWriter<ChatMessage> responseStream, ServerCallContext context)
    {
        Interlocked.Increment(ref counts.Chats);
        try
        {
            await foreach (var message in requestStream.ReadAllAsync(context.CancellationToken))
            {
                Interlocked.Increment(ref counts.ChatMessages);
                if (message.Text == "fail")
                {
                    throw new RpcException(new Status(StatusCode.ResourceExhausted, "chat is full"));
                }

                await responseStream.WriteAsync(new ChatMessage { Text = "noise" }, context.CancellationToken);
                await responseStream.WriteAsync(new ChatMessage { Text = "ack " + message.Text }, context.CancellationToken);
            }
        }
        finally
        {
            Interlocked.Increment(ref counts.ChatsEnded);
        }
    }
}
