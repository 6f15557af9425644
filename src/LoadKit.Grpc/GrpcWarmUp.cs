using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.CompilerServices;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using ProtoType = Google.Protobuf.WellKnownTypes.Type;
using Type = System.Type;
using Grpc.Core;

namespace LoadKit;

/// <summary>
/// Compiles, before a distributed run's start instant, the gRPC code that the run's first calls would otherwise compile
/// after it. A worker loads each run's test assembly, and with it Grpc.Net.Client, Google.Protobuf and LoadKit.Grpc, in
/// a context of its own, so this code is compiled anew in every run; the first HTTP/2 call of a process also compiles
/// SocketsHttpHandler's HTTP/2 client. Each kind of call goes twice through LoadKit's gRPC steps and a client built as
/// protoc builds them, over a connection of its own, to <see cref="Responder"/> on a loopback port of its own: nothing
/// reaches the run's target and nothing is counted. The scenario's generated clients and their messages are compiled
/// without being called (<see cref="CompileClient"/>); the scenario's own code is not. The first gRPC calls of a
/// 2-worker run reached the server 105-203 ms after the instant before, 8-19 ms after it with this.
/// </summary>
internal static class GrpcWarmUp
{
    private const string DuplexName = "LoadKit gRPC warm-up";
    private static readonly Lock s_lock = new();
    private static Task? s_done;

    /// <summary>
    /// Completes once the warm-up has run in this load context (at once after the first time), using
    /// <paramref name="context"/>, a VU's before the run starts (no step of it runs meanwhile, and nothing is recorded outside a step).
    /// </summary>
    public static Task EnsureAsync(StepContext context)
    {
        lock (s_lock)
        {
            return s_done ??= RunAsync(context);
        }
    }

    private static async Task RunAsync(StepContext context)
    {
        using var responder = Responder.Start(Message().ToByteArray());
        var client = GrpcSteps.Client(new GrpcSettings { Address = responder.Address }, invoker => new WarmUpClient(invoker));

        // Calls as a scenario makes them through a generated client: messages of strings, numbers and nested messages
        // each way, metadata, a deadline, a check.
        var unary = client.Unary((c, _, options) => c.Unary(options))
            .WithMetadata("x-loadkit-warm-up", "1").WithDeadline(TimeSpan.FromSeconds(30)).Check("named", m => m.Name.Length > 0);
        var serverStreaming = client.ServerStreaming((c, _, options) => c.ServerStreaming(options)).WithMetadata("x-loadkit-warm-up", "1");
        var clientStreaming = client.ClientStreaming((c, _, options) => c.ClientStreaming(options), _ => [Message()]);
        var duplex = client.Duplex(DuplexName, (c, _, options) => c.Duplex(options));
        var (exchange, close) = (duplex.Exchange(_ => Message()), duplex.Close());
        try
        {
            for (var round = 0; round < 2; round++)
            {
                await unary.RunAsync(context).ConfigureAwait(false);
                await serverStreaming.RunAsync(context).ConfigureAwait(false);
                await clientStreaming.RunAsync(context).ConfigureAwait(false);
                await exchange(context).ConfigureAwait(false);
                await close(context).ConfigureAwait(false);
            }
        }
        catch (Exception) when (!context.CancellationToken.IsCancellationRequested)
        {
            // A warm-up that could not finish leaves the rest to the first calls, as without it; the VUs' connections
            // are opened all the same.
        }
        finally
        {
            await client.ReleaseAsync(context.Session).ConfigureAwait(false);
            await duplex.ReleaseAsync(context.Session).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A message with strings, numbers, a bool, enums, repeated and nested messages: what protobuf's reading and writing
    /// of fields go through.
    /// </summary>
    private static ProtoType Message() => new()
    {
        Name = "loadkit.WarmUp",
        Syntax = Syntax.Proto3,
        SourceContext = new SourceContext { FileName = "warm-up.proto" },
        Oneofs = { "choice" },
        Fields =
        {
            new Field { Number = 1, Name = "id", Kind = Field.Types.Kind.TypeInt32, Cardinality = Field.Types.Cardinality.Optional, JsonName = "id" },
            new Field { Number = 2, Name = "tags", Kind = Field.Types.Kind.TypeString, Cardinality = Field.Types.Cardinality.Repeated, Packed = true, OneofIndex = 1 },
        },
        Options = { new Option { Name = "deprecated", Value = Any.Pack(new Int64Value { Value = 1 }) } },
    };

    /// <summary>
    /// Compiles, without calling them, the methods of a generated client and of every message type that its methods send
    /// or receive, and the messages those contain: the test assembly's code that each call runs besides the
    /// scenario's own.
    /// </summary>
    public static void CompileClient(Type client)
    {
        if (!typeof(ClientBase).IsAssignableFrom(client))
        {
            return;
        }

        var messages = new HashSet<Type>();
        foreach (var method in client.GetMethods(BindingFlags.Instance | BindingFlags.Public | BindingFlags.DeclaredOnly))
        {
            foreach (var type in method.GetParameters().Select(p => p.ParameterType).Append(method.ReturnType))
            {
                foreach (var message in type.IsGenericType ? type.GetGenericArguments() : [type])
                {
                    AddMessage(message, messages);
                }
            }
        }

        // The client's declaring class holds its methods' descriptions and marshallers.
        foreach (var type in messages.Prepend(client).Append(client.DeclaringType).OfType<Type>())
        {
            Compile(type);
        }
    }

    private static void AddMessage(Type type, HashSet<Type> messages)
    {
        if (!typeof(IMessage).IsAssignableFrom(type) || type.IsAbstract || type.GetConstructor(Type.EmptyTypes) is null || !messages.Add(type))
        {
            return;
        }

        foreach (var field in ((IMessage)Activator.CreateInstance(type)!).Descriptor.Fields.InDeclarationOrder())
        {
            if (field.FieldType == Google.Protobuf.Reflection.FieldType.Message && field.MessageType.ClrType is { } contained)
            {
                AddMessage(contained, messages);
            }
        }
    }

    /// <summary>Runs the static constructor of <paramref name="type"/> and compiles its methods and constructors.</summary>
    private static void Compile(Type type)
    {
        const BindingFlags all = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        RuntimeHelpers.RunClassConstructor(type.TypeHandle);
        foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            if (!method.IsAbstract && !method.ContainsGenericParameters)
            {
                RuntimeHelpers.PrepareMethod(method.MethodHandle);
            }
        }
    }

    /// <summary>A client as protoc's C# plugin generates them: a <see cref="ClientBase{T}"/> whose messages are written and read through the serialisation contexts.</summary>
    private sealed class WarmUpClient : ClientBase<WarmUpClient>
    {
        private static readonly Marshaller<ProtoType> Marshaller = Marshallers.Create(
            static (message, context) =>
            {
                context.SetPayloadLength(message.CalculateSize());
                message.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            static context => ProtoType.Parser.ParseFrom(context.PayloadAsReadOnlySequence()));

        private static readonly Method<ProtoType, ProtoType> UnaryMethod = Call(MethodType.Unary);
        private static readonly Method<ProtoType, ProtoType> ServerStreamingMethod = Call(MethodType.ServerStreaming);
        private static readonly Method<ProtoType, ProtoType> ClientStreamingMethod = Call(MethodType.ClientStreaming);
        private static readonly Method<ProtoType, ProtoType> DuplexMethod = Call(MethodType.DuplexStreaming);

        public WarmUpClient(CallInvoker invoker)
            : base(invoker)
        {
        }

        private WarmUpClient(ClientBaseConfiguration configuration)
            : base(configuration)
        {
        }

        public AsyncUnaryCall<ProtoType> Unary(CallOptions options) => CallInvoker.AsyncUnaryCall(UnaryMethod, null, options, Message());

        public AsyncServerStreamingCall<ProtoType> ServerStreaming(CallOptions options) => CallInvoker.AsyncServerStreamingCall(ServerStreamingMethod, null, options, Message());

        public AsyncClientStreamingCall<ProtoType, ProtoType> ClientStreaming(CallOptions options) => CallInvoker.AsyncClientStreamingCall(ClientStreamingMethod, null, options);

        public AsyncDuplexStreamingCall<ProtoType, ProtoType> Duplex(CallOptions options) => CallInvoker.AsyncDuplexStreamingCall(DuplexMethod, null, options);

        protected override WarmUpClient NewInstance(ClientBaseConfiguration configuration) => new(configuration);

        private static Method<ProtoType, ProtoType> Call(MethodType type) => new(type, "loadkit.WarmUp", type.ToString(), Marshaller, Marshaller);
    }

    /// <summary>
    /// An HTTP/2 server without TLS (prior knowledge) on 127.0.0.1 that answers every call with one empty message once
    /// the call sends its first message, and with status OK once the call ends its request stream. It reads no header
    /// and answers only SETTINGS and PING besides: just what Grpc.Net.Client needs.
    /// </summary>
    internal sealed class Responder : IDisposable
    {
        private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

        // HPACK: ":status: 200" (static index 8); "content-type: application/grpc" (a literal, not indexed, of static name 31).
        private static readonly byte[] ResponseHeaders = [0x88, 0x0F, 0x10, 0x10, .. "application/grpc"u8];

        // HPACK: "grpc-status: 0", a literal with a new name, not indexed.
        private static readonly byte[] Trailers = [0x00, 0x0B, .. "grpc-status"u8, 0x01, (byte)'0'];

        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly byte[] _answer;

        private Responder(byte[] message)
        {
            // A gRPC message: not compressed, its length (big-endian), the message.
            _answer = new byte[5 + message.Length];
            BinaryPrimitives.WriteInt32BigEndian(_answer.AsSpan(1), message.Length);
            message.CopyTo(_answer, 5);
            _listener.Start();
            Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
            _ = AcceptAsync();
        }

        public Uri Address { get; }

        /// <summary>Starts a responder that answers each call with <paramref name="message"/> (serialised).</summary>
        public static Responder Start(byte[] message) => new(message);

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    _ = ServeAsync(await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false), _answer, _stop.Token);
                }
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }

        private static async Task ServeAsync(Socket socket, byte[] answer, CancellationToken stop)
        {
            using var stream = new NetworkStream(socket, ownsSocket: true);
            var answered = new HashSet<int>();
            var header = new byte[9];
            var payload = new byte[16 * 1024];
            try
            {
                await stream.ReadExactlyAsync(new byte[Preface.Length], stop).ConfigureAwait(false);
                await WriteFrameAsync(stream, type: 4, flags: 0, streamId: 0, ReadOnlyMemory<byte>.Empty, stop).ConfigureAwait(false);
                while (true)
                {
                    await stream.ReadExactlyAsync(header, stop).ConfigureAwait(false);
                    var length = (header[0] << 16) | (header[1] << 8) | header[2];
                    var (type, flags) = (header[3], header[4]);
                    var streamId = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & int.MaxValue;
                    if (length > payload.Length)
                    {
                        payload = new byte[length];
                    }

                    await stream.ReadExactlyAsync(payload.AsMemory(0, length), stop).ConfigureAwait(false);
                    const byte endStream = 0x1, ack = 0x1;
                    switch (type)
                    {
                        case 0 or 1 when streamId != 0:
                            // DATA: the call's first message is answered with one; END_STREAM (DATA or HEADERS) with the status.
                            if (type == 0 && length > 0 && answered.Add(streamId))
                            {
                                await WriteFrameAsync(stream, type: 1, flags: 0x4, streamId, ResponseHeaders, stop).ConfigureAwait(false);
                                await WriteFrameAsync(stream, type: 0, flags: 0, streamId, answer, stop).ConfigureAwait(false);
                            }

                            if ((flags & endStream) != 0)
                            {
                                if (answered.Add(streamId))
                                {
                                    await WriteFrameAsync(stream, type: 1, flags: 0x4, streamId, ResponseHeaders, stop).ConfigureAwait(false);
                                }

                                await WriteFrameAsync(stream, type: 1, flags: 0x4 | endStream, streamId, Trailers, stop).ConfigureAwait(false);
                            }

                            break;
                        case 4 when (flags & ack) == 0:
                            await WriteFrameAsync(stream, type: 4, flags: ack, streamId: 0, ReadOnlyMemory<byte>.Empty, stop).ConfigureAwait(false);
                            break;
                        case 6 when (flags & ack) == 0:
                            await WriteFrameAsync(stream, type: 6, flags: ack, streamId: 0, payload.AsMemory(0, length), stop).ConfigureAwait(false);
                            break;
                        case 7:
                            return;
                    }
                }
            }
            catch (Exception exception) when (exception is IOException or OperationCanceledException or EndOfStreamException or SocketException)
            {
                // The client closed the connection, or the warm-up is over.
            }
        }

        private static async ValueTask WriteFrameAsync(NetworkStream stream, byte type, byte flags, int streamId, ReadOnlyMemory<byte> payload, CancellationToken stop)
        {
            var frame = new byte[9 + payload.Length];
            (frame[0], frame[1], frame[2]) = ((byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length);
            (frame[3], frame[4]) = (type, flags);
            BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), streamId);
            payload.CopyTo(frame.AsMemory(9));
            await stream.WriteAsync(frame, stop).ConfigureAwait(false);
        }
    }
}
