using System.Collections.Immutable;
using Grpc.Core;
using LoadKit.Display;

namespace LoadKit;

/// <summary>
/// A bidirectional stream that each VU keeps open across steps and iterations (<see cref="GrpcClient{TClient}.Duplex"/>):
/// step actions to send, receive, exchange and close, and <see cref="For"/> for code inside a step. Immutable.
/// </summary>
/// <remarks>
/// The stream opens on the VU's first send or receive. When it ends (the server completes it, it breaks, or a receive
/// times out and aborts it), the step that saw it counts its status, and the next send or receive opens a new one.
/// A status other than OK fails that step (<see cref="GrpcStatusException"/>), DEADLINE_EXCEEDED times it out.
/// </remarks>
public sealed class GrpcDuplexStream<TClient, TRequest, TResponse>
    where TClient : class
    where TResponse : class
{
    private readonly GrpcClient<TClient> _client;
    private readonly Func<TClient, StepContext, CallOptions, AsyncDuplexStreamingCall<TRequest, TResponse>> _call;
    private readonly ImmutableArray<(string Key, Template Value)> _metadata;
    private readonly string _sessionKey;

    internal GrpcDuplexStream(
        GrpcClient<TClient> client,
        string name,
        Func<TClient, StepContext, CallOptions, AsyncDuplexStreamingCall<TRequest, TResponse>> call,
        ImmutableArray<(string Key, Template Value)> metadata)
    {
        _client = client;
        Name = name;
        _call = call;
        _metadata = metadata;
        _sessionKey = $"LoadKit.Grpc.Duplex.{name}";
    }

    /// <summary>The stream's name within the VU.</summary>
    public string Name { get; }

    /// <summary>Adds metadata sent when the stream opens; <paramref name="value"/> is a <see cref="Template"/> filled from the session.</summary>
    /// <exception cref="ArgumentException">An empty key, or one that ends in "-bin".</exception>
    public GrpcDuplexStream<TClient, TRequest, TResponse> WithMetadata(string key, string value) =>
        new(_client, Name, _call, GrpcMetadata.Add(_metadata, key, value));

    /// <summary>The VU's stream, for code inside a step: send, receive and close it in the step running in <paramref name="context"/>.</summary>
    public GrpcDuplexSession<TRequest, TResponse> For(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.Session.TryGet<GrpcDuplexSession<TRequest, TResponse>>(_sessionKey, out var session))
        {
            session = new GrpcDuplexSession<TRequest, TResponse>(Name, Open, _client.ChannelFor(context.Session));
            context.Session.Set(_sessionKey, session);
        }

        session.Context = context;
        return session;
    }

    /// <summary>A step that sends the message <paramref name="message"/> makes for the step.</summary>
    public Func<StepContext, ValueTask> Send(Func<StepContext, TRequest> message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Prepared(ctx => For(ctx).SendAsync(message(ctx)));
    }

    /// <summary>
    /// A step that receives until a message matches <paramref name="until"/> (the first when null), skipping the others.
    /// Waiting longer than <paramref name="timeout"/>, or than the step's timeout, counts as timed out and aborts the stream.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A timeout that is not positive.</exception>
    public Func<StepContext, ValueTask> Receive(Func<TResponse, bool>? until = null, TimeSpan? timeout = null)
    {
        CheckTimeout(timeout);
        return Prepared(async ctx => await For(ctx).ReceiveAsync(until, timeout).ConfigureAwait(false));
    }

    /// <summary>
    /// A step that sends the message <paramref name="message"/> makes and receives until the reply that matches
    /// <paramref name="reply"/> (the first message when null): its latency runs from the send to that reply.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A timeout that is not positive.</exception>
    public Func<StepContext, ValueTask> Exchange(Func<StepContext, TRequest> message, Func<TResponse, bool>? reply = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        CheckTimeout(timeout);
        return Prepared(async ctx =>
        {
            var stream = For(ctx);
            await stream.SendAsync(message(ctx)).ConfigureAwait(false);
            await stream.ReceiveAsync(reply, timeout).ConfigureAwait(false);
        });
    }

    /// <summary>A step that completes the VU's request stream, reads the server's remaining messages to the end and checks the status; nothing when the stream is not open.</summary>
    public Func<StepContext, ValueTask> Close() => Prepared(ctx => For(ctx).CloseAsync());

    /// <summary>Opens the VU's call. No token: the stream outlives the step that opens it; each send and receive passes its step's own.</summary>
    private AsyncDuplexStreamingCall<TRequest, TResponse> Open(StepContext context) =>
        _call(_client.ChannelFor(context.Session).Client, context, new CallOptions(GrpcMetadata.Render(_metadata, context.Session)));

    /// <summary>Lets go of the VU's stream before the VU ends.</summary>
    internal ValueTask ReleaseAsync(Session session) =>
        session.TryGet<GrpcDuplexSession<TRequest, TResponse>>(_sessionKey, out var stream) && session.Remove(_sessionKey) ? stream.DisposeAsync() : ValueTask.CompletedTask;

    /// <summary>The step <paramref name="run"/> as a method of an object that opens the VU's channel's connection before a shared start.</summary>
    private Func<StepContext, ValueTask> Prepared(Func<StepContext, ValueTask> run) => new DuplexStep(run, _client.PrepareAsync).RunAsync;

    private static void CheckTimeout(TimeSpan? timeout)
    {
        if (timeout is { } value && value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), value, $"gRPC stream receive timeout = {value}: allowed a positive time, such as 2 s.");
        }
    }
}

/// <summary>A duplex stream's step action, which prepares (<see cref="IPreparableStep"/>) by opening the VU's channel's connection.</summary>
internal sealed class DuplexStep(Func<StepContext, ValueTask> run, Func<StepContext, Task> prepare) : IPreparableStep
{
    public ValueTask RunAsync(StepContext context) => run(context);

    public ValueTask PrepareAsync(StepContext context) => new(prepare(context));
}

/// <summary>
/// A VU's bidirectional stream (<see cref="GrpcDuplexStream{TClient, TRequest, TResponse}.For"/>): what its sends and
/// receives count goes to the step that <c>For</c> was last called in. LoadKit disposes it when the VU ends.
/// </summary>
public sealed class GrpcDuplexSession<TRequest, TResponse> : IVirtualUserResource
    where TResponse : class
{
    private readonly string _name;
    private readonly Func<StepContext, AsyncDuplexStreamingCall<TRequest, TResponse>> _open;
    private readonly IOpenedConnections _connections;
    private AsyncDuplexStreamingCall<TRequest, TResponse>? _call;

    internal GrpcDuplexSession(string name, Func<StepContext, AsyncDuplexStreamingCall<TRequest, TResponse>> open, IOpenedConnections connections)
    {
        _name = name;
        _open = open;
        _connections = connections;
    }

    /// <summary>Whether a call is open: a send or receive goes on it rather than opening one.</summary>
    public bool IsOpen => _call is not null;

    internal StepContext Context { get; set; } = null!;

    /// <summary>Sends <paramref name="message"/>, opening the stream first if it is not open.</summary>
    /// <exception cref="GrpcStatusException">The stream had ended with a status other than OK.</exception>
    public async ValueTask SendAsync(TRequest message)
    {
        var context = Context;
        var call = _call ??= _open(context);
        try
        {
            await call.RequestStream.WriteAsync(message, context.CancellationToken).ConfigureAwait(false);
        }
        catch (RpcException exception) when (!context.CancellationToken.IsCancellationRequested)
        {
            throw Ended(context, exception);
        }
        catch (Exception) when (context.CancellationToken.IsCancellationRequested)
        {
            Abort();
            throw;
        }
        finally
        {
            context.RecordGrpcConnections(_connections.TakeOpened());
        }

        context.RecordGrpcMessages(1, 0);
    }

    /// <summary>
    /// Receives until a message matches <paramref name="until"/> (the first when null), skipping the others, opening the
    /// stream first if it is not open. Waiting longer than <paramref name="timeout"/>, or than the step's timeout, times
    /// out and aborts the stream.
    /// </summary>
    /// <returns>The matching message.</returns>
    /// <exception cref="TimeoutException">No matching message within <paramref name="timeout"/>.</exception>
    /// <exception cref="GrpcStatusException">The stream ended before a matching message came.</exception>
    public async ValueTask<TResponse> ReceiveAsync(Func<TResponse, bool>? until = null, TimeSpan? timeout = null)
    {
        var context = Context;
        var call = _call ??= _open(context);
        using var limit = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        limit?.CancelAfter(timeout.GetValueOrDefault());
        var token = limit?.Token ?? context.CancellationToken;
        long received = 0;
        try
        {
            while (await call.ResponseStream.MoveNext(token).ConfigureAwait(false))
            {
                received++;
                var message = call.ResponseStream.Current;
                if (until is null || until(message))
                {
                    return message;
                }
            }
        }
        catch (Exception exception) when (token.IsCancellationRequested)
        {
            Abort();
            if (context.CancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new TimeoutException($"no matching message on gRPC stream '{_name}' within {Format.Duration(timeout.GetValueOrDefault())}", exception);
        }
        catch (RpcException exception)
        {
            throw Ended(context, exception);
        }
        finally
        {
            context.RecordGrpcMessages(0, received);
            context.RecordGrpcConnections(_connections.TakeOpened());
        }

        // The server completed the stream with OK before a matching message.
        context.RecordGrpcStatus((int)StatusCode.OK);
        Abort();
        throw new GrpcStatusException(StatusCode.OK, $"gRPC stream '{_name}' ended (OK) before a matching message");
    }

    /// <summary>Completes the request stream, reads the remaining messages to the end and checks the status; nothing when the stream is not open.</summary>
    /// <exception cref="GrpcStatusException">The stream ended with a status other than OK.</exception>
    public async ValueTask CloseAsync()
    {
        var context = Context;
        if (_call is not { } call)
        {
            return;
        }

        long received = 0;
        try
        {
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            while (await call.ResponseStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
            {
                received++;
            }
        }
        catch (RpcException exception) when (!context.CancellationToken.IsCancellationRequested)
        {
            throw Ended(context, exception);
        }
        catch (Exception) when (context.CancellationToken.IsCancellationRequested)
        {
            Abort();
            throw;
        }
        finally
        {
            context.RecordGrpcMessages(0, received);
            context.RecordGrpcConnections(_connections.TakeOpened());
        }

        context.RecordGrpcStatus((int)StatusCode.OK);
        Abort();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Abort();
        return ValueTask.CompletedTask;
    }

    /// <summary>The stream ended with a status: counted in the step, the stream dropped, and the error the step fails with.</summary>
    private Exception Ended(StepContext context, RpcException exception)
    {
        Abort();
        context.RecordGrpcStatus((int)exception.StatusCode);
        var message = $"gRPC stream '{_name}' ended with status {StatusText.Of(exception)}";
        return exception.StatusCode == StatusCode.DeadlineExceeded
            ? new TimeoutException(message, exception)
            : new GrpcStatusException(exception.StatusCode, message, exception);
    }

    private void Abort()
    {
        _call?.Dispose();
        _call = null;
    }
}

/// <summary>A gRPC stream ended with a status the step did not expect; the step fails with its message, which names the status.</summary>
public sealed class GrpcStatusException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public GrpcStatusException()
        : base("a gRPC call ended with an unexpected status")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public GrpcStatusException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the call's exception.</summary>
    public GrpcStatusException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a call that ended with <paramref name="status"/>.</summary>
    public GrpcStatusException(StatusCode status, string message, Exception? innerException = null)
        : base(message, innerException) => Status = status;

    /// <summary>The status the call ended with.</summary>
    public StatusCode Status { get; }
}
