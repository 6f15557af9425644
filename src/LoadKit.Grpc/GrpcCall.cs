using System.Runtime.CompilerServices;
using Google.Protobuf;
using Grpc.Core;

namespace LoadKit;

/// <summary>
/// A gRPC step: a call description to pass to <c>.Step(name, step)</c>, or to run from code inside a step with
/// <see cref="RunAsync"/>.
/// </summary>
public abstract class GrpcStep : IPreparableStep
{
    private protected GrpcStep()
    {
    }

    /// <summary>Makes the call within the step running in <paramref name="context"/>: counted, checked and extracted as the step would.</summary>
    public abstract ValueTask RunAsync(StepContext context);

    /// <summary>Before a shared start: opens the VU's channel's first connection.</summary>
    ValueTask IPreparableStep.PrepareAsync(StepContext context) => new(PrepareAsync(context));

    private protected abstract Task PrepareAsync(StepContext context);
}

/// <summary>
/// What the gRPC call steps share: a deadline, metadata, the statuses that pass, checks and extractions. Immutable: each
/// method returns a changed copy, so one description can be shared and varied.
/// </summary>
/// <typeparam name="TCall">The description's own type.</typeparam>
/// <typeparam name="TResponse">The response message.</typeparam>
public abstract class GrpcCall<TCall, TResponse> : GrpcStep
    where TCall : GrpcCall<TCall, TResponse>
    where TResponse : class
{
    private protected GrpcCall(CallSpec<TResponse> spec) => Spec = spec;

    internal CallSpec<TResponse> Spec { get; }

    /// <summary>
    /// The call's deadline, from its start: when it passes, the call ends with DEADLINE_EXCEEDED and the step counts as
    /// timed out ("deadline of 200 ms exceeded (DEADLINE_EXCEEDED)"). Without it, only the step's timeout applies.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A deadline that is not positive.</exception>
    public TCall WithDeadline(TimeSpan deadline)
    {
        if (deadline <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(deadline), deadline, $"gRPC deadline = {deadline}: allowed a positive time, such as 500 ms.");
        }

        return With(Spec with { Deadline = deadline });
    }

    /// <summary>Adds request metadata (a header); <paramref name="value"/> is a <see cref="Template"/> filled from the session.</summary>
    /// <exception cref="ArgumentException">An empty key, or one that ends in "-bin" (binary metadata is not a text).</exception>
    public TCall WithMetadata(string key, string value) => With(Spec with { Metadata = GrpcMetadata.Add(Spec.Metadata, key, value) });

    /// <summary>
    /// The statuses with which the call passes, replacing the default (OK only): <c>ExpectStatus(StatusCode.OK,
    /// StatusCode.NotFound)</c> lets NOT_FOUND pass. Any other status fails the step, naming it and the server's detail
    /// (<c>status is OK (got UNAVAILABLE: ...)</c>); DEADLINE_EXCEEDED counts as timed out unless allowed here. Checks and
    /// extractions look at OK responses only: a call with another allowed status passes without them.
    /// </summary>
    /// <exception cref="ArgumentException">No status.</exception>
    public TCall ExpectStatus(params StatusCode[] statuses)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        if (statuses.Length == 0)
        {
            throw new ArgumentException("ExpectStatus was given no status: name at least one, such as StatusCode.OK.", nameof(statuses));
        }

        return With(Spec with { Allowed = [.. statuses.Distinct()] });
    }

    /// <summary>A check of the response message: when <paramref name="holds"/> is false the step fails with "check failed: <paramref name="description"/>".</summary>
    /// <exception cref="ArgumentException">An empty description.</exception>
    public TCall Check(string description, Func<TResponse, bool> holds)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        ArgumentNullException.ThrowIfNull(holds);
        return With(Spec with { Checks = Spec.Checks.Add((description, holds)) });
    }

    /// <summary>
    /// Stores a value of the response message in the VU's session under <paramref name="name"/>, as it is (an
    /// <c>int</c> stays one): <c>Extract("id", reply => reply.Order.Id)</c>. A null value fails the step
    /// (<c>extract 'id': property found nothing</c>).
    /// </summary>
    /// <exception cref="ArgumentException">An empty name.</exception>
    public TCall Extract(string name, Func<TResponse, object?> value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(value);
        return With(Spec with { Extractions = Spec.Extractions.Add(new Extraction<TResponse>(name, "property", value, null)) });
    }

    /// <summary>
    /// Stores a value found by <paramref name="jsonPath"/> (Newtonsoft <c>SelectToken</c> syntax, e.g. <c>$.order.id</c>)
    /// in the message's JSON form (protobuf's JSON mapping: lowerCamelCase field names, 64-bit integers as strings) in
    /// the VU's session under <paramref name="name"/>, as text (a string as itself, anything else as its JSON). A path
    /// that finds nothing fails the step (<c>extract 'id': JSON path $.order.id found nothing</c>).
    /// </summary>
    /// <exception cref="ArgumentException">An empty name, or a malformed JSON path.</exception>
    public TCall Extract(string name, string jsonPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(jsonPath);
        if (GrpcExtraction.JsonPathProblem(jsonPath) is { } problem)
        {
            throw new ArgumentException($"gRPC extraction '{name}' has JSON path '{jsonPath}': {problem}", nameof(jsonPath));
        }

        return With(Spec with { Extractions = Spec.Extractions.Add(new Extraction<TResponse>(name, $"JSON path {jsonPath}", null, jsonPath)) });
    }

    private protected abstract TCall With(CallSpec<TResponse> spec);
}

/// <summary>A unary call as a step (<see cref="GrpcClient{TClient}.Unary"/>).</summary>
public sealed class GrpcUnaryCall<TClient, TResponse> : GrpcCall<GrpcUnaryCall<TClient, TResponse>, TResponse>
    where TClient : class
    where TResponse : class, IMessage
{
    private readonly GrpcClient<TClient> _client;
    private readonly Func<TClient, StepContext, CallOptions, AsyncUnaryCall<TResponse>> _call;

    internal GrpcUnaryCall(GrpcClient<TClient> client, Func<TClient, StepContext, CallOptions, AsyncUnaryCall<TResponse>> call, CallSpec<TResponse> spec)
        : base(spec)
    {
        _client = client;
        _call = call;
    }

    /// <inheritdoc />
    public override ValueTask RunAsync(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var channel = _client.ChannelFor(context.Session);
        return UnaryCalls.RunAsync(context, Spec, channel, (Call: _call, channel.Client, context), static (state, options) => state.Call(state.Client, state.context, options));
    }

    private protected override Task PrepareAsync(StepContext context) => _client.PrepareAsync(context);

    private protected override GrpcUnaryCall<TClient, TResponse> With(CallSpec<TResponse> spec) => new(_client, _call, spec);
}

/// <summary>How a unary call runs as a step, with a generated client or by name.</summary>
internal static class UnaryCalls
{
    /// <summary>Makes the call <paramref name="start"/> starts (from <paramref name="state"/>, so that no closure is allocated per call), and counts, checks and extracts.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public static async ValueTask RunAsync<TState, TResponse>(
        StepContext context, CallSpec<TResponse> spec, IOpenedConnections connections, TState state, Func<TState, CallOptions, AsyncUnaryCall<TResponse>> start)
        where TResponse : class
    {
        try
        {
            using var call = start(state, spec.Options(context));
            TResponse response;
            try
            {
                response = await call.ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException exception) when (!context.CancellationToken.IsCancellationRequested)
            {
                context.RecordGrpcMessages(1, 0);
                spec.Ended(context, exception);
                return;
            }

            context.RecordGrpcMessages(1, 1);
            spec.Succeeded(context, response);
        }
        finally
        {
            context.RecordGrpcConnections(connections.TakeOpened());
        }
    }
}

/// <summary>A server-streaming call as a step (<see cref="GrpcClient{TClient}.ServerStreaming"/>).</summary>
public sealed class GrpcServerStreamingCall<TClient, TResponse> : GrpcCall<GrpcServerStreamingCall<TClient, TResponse>, TResponse>
    where TClient : class
    where TResponse : class, IMessage
{
    /// <summary>The measurement under which the time to the first message is recorded ("step › first message").</summary>
    public const string FirstMessageMeasurement = "first message";

    private readonly GrpcClient<TClient> _client;
    private readonly Func<TClient, StepContext, CallOptions, AsyncServerStreamingCall<TResponse>> _call;

    internal GrpcServerStreamingCall(GrpcClient<TClient> client, Func<TClient, StepContext, CallOptions, AsyncServerStreamingCall<TResponse>> call, CallSpec<TResponse> spec)
        : base(spec)
    {
        _client = client;
        _call = call;
    }

    /// <inheritdoc />
    public override async ValueTask RunAsync(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var channel = _client.ChannelFor(context.Session);
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        long received = 0;
        try
        {
            using var call = _call(channel.Client, context, Spec.Options(context));
            TResponse? last = null;
            try
            {
                while (await call.ResponseStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
                {
                    if (received++ == 0)
                    {
                        context.Record(FirstMessageMeasurement, System.Diagnostics.Stopwatch.GetElapsedTime(start));
                    }

                    last = call.ResponseStream.Current;
                }
            }
            catch (RpcException exception) when (!context.CancellationToken.IsCancellationRequested)
            {
                Spec.Ended(context, exception);
                return;
            }

            Spec.Succeeded(context, last);
        }
        finally
        {
            context.RecordGrpcMessages(1, received);
            context.RecordGrpcConnections(channel.TakeOpened());
        }
    }

    private protected override Task PrepareAsync(StepContext context) => _client.PrepareAsync(context);

    private protected override GrpcServerStreamingCall<TClient, TResponse> With(CallSpec<TResponse> spec) => new(_client, _call, spec);
}

/// <summary>A client-streaming call as a step (<see cref="GrpcClient{TClient}.ClientStreaming"/>).</summary>
public sealed class GrpcClientStreamingCall<TClient, TRequest, TResponse> : GrpcCall<GrpcClientStreamingCall<TClient, TRequest, TResponse>, TResponse>
    where TClient : class
    where TResponse : class, IMessage
{
    private readonly GrpcClient<TClient> _client;
    private readonly Func<TClient, StepContext, CallOptions, AsyncClientStreamingCall<TRequest, TResponse>> _call;
    private readonly Func<StepContext, IEnumerable<TRequest>> _messages;

    internal GrpcClientStreamingCall(
        GrpcClient<TClient> client,
        Func<TClient, StepContext, CallOptions, AsyncClientStreamingCall<TRequest, TResponse>> call,
        Func<StepContext, IEnumerable<TRequest>> messages,
        CallSpec<TResponse> spec)
        : base(spec)
    {
        _client = client;
        _call = call;
        _messages = messages;
    }

    /// <inheritdoc />
    public override async ValueTask RunAsync(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var channel = _client.ChannelFor(context.Session);
        long sent = 0;
        long received = 0;
        try
        {
            using var call = _call(channel.Client, context, Spec.Options(context));
            TResponse response;
            try
            {
                foreach (var message in _messages(context))
                {
                    await call.RequestStream.WriteAsync(message, context.CancellationToken).ConfigureAwait(false);
                    sent++;
                }

                await call.RequestStream.CompleteAsync().ConfigureAwait(false);
                response = await call.ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException exception) when (!context.CancellationToken.IsCancellationRequested)
            {
                Spec.Ended(context, exception);
                return;
            }

            received = 1;
            Spec.Succeeded(context, response);
        }
        finally
        {
            context.RecordGrpcMessages(sent, received);
            context.RecordGrpcConnections(channel.TakeOpened());
        }
    }

    private protected override Task PrepareAsync(StepContext context) => _client.PrepareAsync(context);

    private protected override GrpcClientStreamingCall<TClient, TRequest, TResponse> With(CallSpec<TResponse> spec) => new(_client, _call, _messages, spec);
}
