using System.Collections.Concurrent;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace LoadKit;

/// <summary>
/// Calls without generated code (<see cref="GrpcSteps.DynamicClient"/>): methods by full name with JSON requests, their
/// messages defined by the server's reflection service or by a descriptor set. For plan files and tests written
/// before a client is generated.
/// </summary>
public sealed class GrpcDynamicClient
{
    private readonly GrpcClient<CallInvoker> _client;
    private readonly GrpcDescriptorSet? _descriptors;
    private readonly ConcurrentDictionary<GrpcMethodName, Lazy<Task<DynamicMethod>>> _methods = new();

    internal GrpcDynamicClient(GrpcClient<CallInvoker> client, GrpcDescriptorSet? descriptors)
    {
        _client = client;
        _descriptors = descriptors;
    }

    /// <summary>The server this client calls.</summary>
    public Uri Address => _client.Address;

    /// <summary>
    /// A step that calls the unary method <paramref name="method"/> ("package.Service/Method") with the request
    /// <paramref name="json"/>, a <see cref="Template"/> filled from the session (<c>{"id": {{id}}}</c>) in protobuf's JSON
    /// mapping. With a descriptor set, the method is looked up here; with server reflection, on the first call (a method
    /// the server does not have then fails each call, naming the services it has).
    /// </summary>
    /// <exception cref="ArgumentException">
    /// A name that is not package.Service/Method; with a descriptor set, a method it does not define or that streams;
    /// a request without placeholders that is not a JSON object or does not fit the request message.
    /// </exception>
    public GrpcDynamicCall Unary(string method, string json)
    {
        var name = GrpcMethodName.Parse(method);
        ArgumentNullException.ThrowIfNull(json);
        var template = Template.Parse(json);
        if (_descriptors is not null)
        {
            var resolved = DynamicMethod.Of(_descriptors.Find(name));
            _methods.TryAdd(name, new(Task.FromResult(resolved)));
            if (template.IsConstant)
            {
                try
                {
                    resolved.Encode(json);
                }
                catch (FormatException e)
                {
                    throw new ArgumentException($"gRPC request of {name}: {e.Message}", nameof(json), e);
                }
            }
        }

        return new GrpcDynamicCall(this, name, template, CallSpec<GrpcJsonMessage>.Default);
    }

    internal CountedChannel<CallInvoker> ChannelFor(Session session) => _client.ChannelFor(session);

    internal Task PrepareAsync(StepContext context) => _client.PrepareAsync(context);

    /// <summary>The method's descriptor: from the set, or asked of the server once however many VUs ask at once (again after a failure).</summary>
    internal Task<DynamicMethod> ResolveAsync(GrpcMethodName name, CallInvoker invoker)
    {
        var resolving = _methods.GetOrAdd(name, static (n, asking) => new(() => asking.Client.ReflectAsync(n, asking.invoker)), (Client: this, invoker));
        if (resolving.Value.IsFaulted)
        {
            _methods.TryRemove(KeyValuePair.Create(name, resolving));
        }

        return resolving.Value;
    }

    private async Task<DynamicMethod> ReflectAsync(GrpcMethodName name, CallInvoker invoker)
    {
        // Not the step's token: other VUs wait for the same answer.
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return DynamicMethod.Of(await ServerReflection.ResolveAsync(invoker, name, Address, limit.Token).ConfigureAwait(false));
    }
}

/// <summary>A unary call by name as a step (<see cref="GrpcDynamicClient.Unary"/>).</summary>
public sealed class GrpcDynamicCall : GrpcCall<GrpcDynamicCall, GrpcJsonMessage>
{
    private readonly GrpcDynamicClient _client;
    private readonly GrpcMethodName _name;
    private readonly Template _json;

    internal GrpcDynamicCall(GrpcDynamicClient client, GrpcMethodName name, Template json, CallSpec<GrpcJsonMessage> spec)
        : base(spec)
    {
        _client = client;
        _name = name;
        _json = json;
    }

    /// <summary>The method's full name, package.Service/Method.</summary>
    public string Method => _name.ToString();

    /// <inheritdoc />
    public override async ValueTask RunAsync(StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var channel = _client.ChannelFor(context.Session);
        DynamicMethod method;
        byte[] request;
        try
        {
            method = await _client.ResolveAsync(_name, channel.Client).WaitAsync(context.CancellationToken).ConfigureAwait(false);
            request = method.Encode(_json.Render(context.Session));
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            context.RecordGrpcConnections(channel.TakeOpened());
            context.Fail(e is FormatException ? $"gRPC request of {_name}: {e.Message}" : e.Message);
            return;
        }

        await UnaryCalls.RunAsync(context, Spec, channel, (channel.Client, method.Call, request),
            static (state, options) => state.Client.AsyncUnaryCall(state.Call, null, options, state.request)).ConfigureAwait(false);
    }

    /// <summary>Also asks the server's reflection service for the method now, so that the first call does not wait for it.</summary>
    private protected override async Task PrepareAsync(StepContext context)
    {
        await _client.PrepareAsync(context).ConfigureAwait(false);
        await _client.ResolveAsync(_name, _client.ChannelFor(context.Session).Client).WaitAsync(context.CancellationToken).ConfigureAwait(false);
    }

    private protected override GrpcDynamicCall With(CallSpec<GrpcJsonMessage> spec) => new(_client, _name, _json, spec);
}

/// <summary>A response of a call by name, in protobuf's JSON mapping.</summary>
public sealed class GrpcJsonMessage
{
    internal GrpcJsonMessage(string type, JObject value)
    {
        Type = type;
        Value = value;
    }

    /// <summary>The message type's full name, e.g. <c>shop.Order</c>.</summary>
    public string Type { get; }

    /// <summary>The message as JSON (lowerCamelCase field names, 64-bit integers as strings, enums by name).</summary>
    public string Json => Value.ToString(Formatting.None);

    internal JObject Value { get; }

    /// <summary>The value at <paramref name="jsonPath"/> (Newtonsoft <c>SelectToken</c> syntax) as text (a string as itself, anything else as its JSON), or null when there is none.</summary>
    public string? Select(string jsonPath) => GrpcExtraction.JsonText(Value.SelectToken(jsonPath));

    /// <inheritdoc />
    public override string ToString() => Json;
}

/// <summary>A method known by its descriptor: the call with raw request bytes and a response decoded to JSON.</summary>
internal sealed record DynamicMethod(MethodDescriptor Descriptor, Method<byte[], GrpcJsonMessage> Call)
{
    public static DynamicMethod Of(MethodDescriptor descriptor)
    {
        var output = descriptor.OutputType;
        var call = new Method<byte[], GrpcJsonMessage>(
            MethodType.Unary,
            descriptor.Service.FullName,
            descriptor.Name,
            Marshallers.Create(static bytes => bytes, static bytes => bytes),
            Marshallers.Create(static _ => throw new NotSupportedException("responses are not sent"), bytes => new GrpcJsonMessage(output.FullName, ProtoJson.Decode(output, bytes))));
        return new DynamicMethod(descriptor, call);
    }

    /// <exception cref="FormatException">The text is not a JSON object, or does not fit the request message.</exception>
    public byte[] Encode(string json)
    {
        JObject value;
        try
        {
            value = JObject.Parse(json);
        }
        catch (JsonReaderException e)
        {
            throw new FormatException($"'{json}' is not a JSON object: {e.Message}", e);
        }

        return ProtoJson.Encode(Descriptor.InputType, value);
    }
}
