using Grpc.Core;
using Google.Protobuf;

namespace LoadKit;

/// <summary>
/// A service's generated client as the steps of a scenario use it: where it connects (<see cref="GrpcSettings"/>), and
/// the channels it opens, per VU or shared. Its methods describe the steps (<see cref="Unary"/>,
/// <see cref="ServerStreaming"/>, <see cref="ClientStreaming"/>, <see cref="Duplex"/>). Make it with
/// <see cref="GrpcSteps.Client"/> where the scenario is built; a worker builds its own.
/// </summary>
/// <typeparam name="TClient">The generated client, e.g. <c>Greeter.GreeterClient</c>.</typeparam>
public sealed class GrpcClient<TClient>
    where TClient : class
{
    private static int s_instances;
    private readonly Func<CallInvoker, TClient> _create;
    private readonly string _sessionKey;
    private readonly Lock _sharedLock = new();
    private CountedChannel<TClient>? _shared;
    private int _sharedHolders;
    private bool _compiled;

    internal GrpcClient(Uri address, GrpcSettings settings, Func<CallInvoker, TClient> create)
    {
        Address = address;
        Settings = settings;
        _create = create;
        _sessionKey = $"LoadKit.Grpc.{typeof(TClient).Name}.{Interlocked.Increment(ref s_instances)}";
    }

    /// <summary>The server this client calls.</summary>
    public Uri Address { get; }

    /// <summary>The settings it was made with.</summary>
    public GrpcSettings Settings { get; }

    /// <summary>
    /// A step that makes one unary call: <paramref name="call"/> calls the client's method with the options it is given
    /// (deadline, metadata, the step's cancellation), e.g.
    /// <c>(client, ctx, options) => client.SayHelloAsync(new HelloRequest { Name = "a" }, options)</c>.
    /// </summary>
    public GrpcUnaryCall<TClient, TResponse> Unary<TResponse>(Func<TClient, StepContext, CallOptions, AsyncUnaryCall<TResponse>> call)
        where TResponse : class, IMessage
    {
        ArgumentNullException.ThrowIfNull(call);
        return new GrpcUnaryCall<TClient, TResponse>(this, call, CallSpec<TResponse>.Default);
    }

    /// <summary>
    /// A step that makes a server-streaming call and reads its responses to the end: the step's latency is the whole
    /// call, its time to the first message is recorded as the measurement "first message", and the messages are counted.
    /// Checks and extractions look at the last message.
    /// </summary>
    public GrpcServerStreamingCall<TClient, TResponse> ServerStreaming<TResponse>(Func<TClient, StepContext, CallOptions, AsyncServerStreamingCall<TResponse>> call)
        where TResponse : class, IMessage
    {
        ArgumentNullException.ThrowIfNull(call);
        return new GrpcServerStreamingCall<TClient, TResponse>(this, call, CallSpec<TResponse>.Default);
    }

    /// <summary>
    /// A step that makes a client-streaming call: it sends the messages <paramref name="messages"/> gives for the step,
    /// completes the request stream and waits for the response.
    /// </summary>
    public GrpcClientStreamingCall<TClient, TRequest, TResponse> ClientStreaming<TRequest, TResponse>(
        Func<TClient, StepContext, CallOptions, AsyncClientStreamingCall<TRequest, TResponse>> call,
        Func<StepContext, IEnumerable<TRequest>> messages)
        where TResponse : class, IMessage
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(messages);
        return new GrpcClientStreamingCall<TClient, TRequest, TResponse>(this, call, messages, CallSpec<TResponse>.Default);
    }

    /// <summary>
    /// A bidirectional stream that each VU keeps open across steps and iterations under <paramref name="name"/>, like a
    /// WebSocket connection: its step actions send, receive, exchange and close. It opens on the VU's first send or
    /// receive, and again after it ended.
    /// </summary>
    /// <exception cref="ArgumentException">An empty name.</exception>
    public GrpcDuplexStream<TClient, TRequest, TResponse> Duplex<TRequest, TResponse>(
        string name,
        Func<TClient, StepContext, CallOptions, AsyncDuplexStreamingCall<TRequest, TResponse>> call)
        where TResponse : class
    {
        ArgumentNullException.ThrowIfNull(call);
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException($"A gRPC duplex stream has name '{name}': give it a name, such as \"chat\".", nameof(name));
        }

        return new GrpcDuplexStream<TClient, TRequest, TResponse>(this, name, call, []);
    }

    /// <summary>The VU's channel: its own, or its hold on the shared one, taken on first use and released when the VU ends.</summary>
    internal CountedChannel<TClient> ChannelFor(Session session)
    {
        if (!session.TryGet<ChannelLease<TClient>>(_sessionKey, out var lease))
        {
            lease = Settings.Channels == GrpcChannels.Shared ? HoldShared() : OwnChannel();
            session.Set(_sessionKey, lease);
        }

        return lease.Channel;
    }

    /// <summary>Before a shared start: LoadKit's gRPC code compiled in this run (<see cref="GrpcWarmUp"/>), and the VU's channel with its first connection open.</summary>
    internal async Task PrepareAsync(StepContext context)
    {
        await GrpcWarmUp.EnsureAsync(context).ConfigureAwait(false);
        lock (_sharedLock)
        {
            if (!_compiled)
            {
                GrpcWarmUp.CompileClient(typeof(TClient));
                _compiled = true;
            }
        }

        await ChannelFor(context.Session).PrepareAsync(context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lets go of the VU's channel before the VU ends.</summary>
    internal ValueTask ReleaseAsync(Session session) =>
        session.TryGet<ChannelLease<TClient>>(_sessionKey, out var lease) && session.Remove(_sessionKey) ? lease.DisposeAsync() : ValueTask.CompletedTask;

    private ChannelLease<TClient> OwnChannel()
    {
        var channel = new CountedChannel<TClient>(Address, Settings, _create);
        return new ChannelLease<TClient>(channel, channel.Dispose);
    }

    /// <summary>The shared channel lives while a VU holds it, so a run's end closes it and the next run opens a new one.</summary>
    private ChannelLease<TClient> HoldShared()
    {
        lock (_sharedLock)
        {
            _shared ??= new CountedChannel<TClient>(Address, Settings, _create);
            _sharedHolders++;
            return new ChannelLease<TClient>(_shared, ReleaseShared);
        }
    }

    private void ReleaseShared()
    {
        lock (_sharedLock)
        {
            if (--_sharedHolders == 0)
            {
                _shared?.Dispose();
                _shared = null;
            }
        }
    }
}
