using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Reflection.V1Alpha;

namespace LoadKit;

/// <summary>
/// Message and service definitions for calls without generated code (<see cref="GrpcSteps.DynamicClient"/>): a
/// <c>FileDescriptorSet</c> as protoc writes it (<c>protoc --descriptor_set_out=orders.pb --include_imports orders.proto</c>).
/// Immutable.
/// </summary>
public sealed class GrpcDescriptorSet
{
    private readonly IReadOnlyList<FileDescriptor> _files;

    private GrpcDescriptorSet(IReadOnlyList<FileDescriptor> files) => _files = files;

    /// <summary>The services the set defines, by full name.</summary>
    public IReadOnlyList<string> Services => [.. _files.SelectMany(f => f.Services).Select(s => s.FullName).Order(StringComparer.Ordinal)];

    /// <summary>Reads a descriptor set file.</summary>
    /// <exception cref="ArgumentException">The file is not a descriptor set, or lacks a file its others import (write it with --include_imports).</exception>
    public static GrpcDescriptorSet Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return FromBytes(File.ReadAllBytes(path), path);
    }

    /// <summary>A descriptor set from its bytes.</summary>
    /// <exception cref="ArgumentException">The bytes are not a descriptor set, or it lacks a file its others import.</exception>
    public static GrpcDescriptorSet FromBytes(byte[] descriptorSet)
    {
        ArgumentNullException.ThrowIfNull(descriptorSet);
        return FromBytes(descriptorSet, "the descriptor set");
    }

    private static GrpcDescriptorSet FromBytes(byte[] bytes, string source)
    {
        FileDescriptorSet set;
        try
        {
            set = FileDescriptorSet.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ArgumentException($"{source} is not a protobuf FileDescriptorSet ({e.Message}); write one with protoc --descriptor_set_out=FILE --include_imports.", e);
        }

        return new GrpcDescriptorSet(Build(set.File, source));
    }

    /// <summary>Builds descriptors from file protos in any order (dependencies first, as the builder needs).</summary>
    internal static IReadOnlyList<FileDescriptor> Build(IEnumerable<FileDescriptorProto> files, string source)
    {
        var byName = new Dictionary<string, FileDescriptorProto>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            byName.TryAdd(file.Name, file);
        }

        var ordered = new List<FileDescriptorProto>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        void Visit(FileDescriptorProto file)
        {
            if (!visited.Add(file.Name))
            {
                return;
            }

            foreach (var dependency in file.Dependency)
            {
                Visit(byName.TryGetValue(dependency, out var found)
                    ? found
                    : throw new ArgumentException($"{source}: {file.Name} imports {dependency}, which it does not hold (write the set with --include_imports)."));
            }

            ordered.Add(file);
        }

        foreach (var file in byName.Values)
        {
            Visit(file);
        }

        return FileDescriptor.BuildFromByteStrings(ordered.Select(f => f.ToByteString()));
    }

    /// <summary>The method named "package.Service/Method", or an error that names what is there.</summary>
    internal static MethodDescriptor Find(IEnumerable<FileDescriptor> files, GrpcMethodName name, string source)
    {
        var services = files.SelectMany(f => f.Services).ToArray();
        var service = services.FirstOrDefault(s => s.FullName == name.Service)
            ?? throw new ArgumentException($"gRPC service '{name.Service}' is not in {source} (services: {(services.Length == 0 ? "none" : string.Join(", ", services.Select(s => s.FullName)))}).");
        var method = service.FindMethodByName(name.Method)
            ?? throw new ArgumentException($"gRPC service '{name.Service}' in {source} has no method '{name.Method}' (methods: {string.Join(", ", service.Methods.Select(m => m.Name))}).");
        if (method.IsClientStreaming || method.IsServerStreaming)
        {
            throw new ArgumentException($"gRPC method '{name}' streams: calls by name are unary only; call it through its generated client.");
        }

        return method;
    }

    internal MethodDescriptor Find(GrpcMethodName name) => Find(_files, name, "the descriptor set");
}

/// <summary>A method's full name, "package.Service/Method".</summary>
internal sealed record GrpcMethodName(string Service, string Method)
{
    public static GrpcMethodName Parse(string fullName)
    {
        ArgumentNullException.ThrowIfNull(fullName);
        var text = fullName.StartsWith('/') ? fullName[1..] : fullName;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == text.Length - 1 || text.IndexOf('/', slash + 1) >= 0)
        {
            throw new ArgumentException($"gRPC method '{fullName}': allowed a full method name, package.Service/Method (e.g. shop.Orders/Get).", nameof(fullName));
        }

        return new GrpcMethodName(text[..slash], text[(slash + 1)..]);
    }

    public override string ToString() => $"{Service}/{Method}";
}

/// <summary>
/// Asks a server's reflection service for the files that define a service: grpc.reflection.v1, or v1alpha on servers
/// that have only that (the two have the same messages, so v1alpha's generated types serve both).
/// </summary>
internal static class ServerReflection
{
    private static readonly Marshaller<ServerReflectionRequest> Requests = Marshallers.Create(static r => r.ToByteArray(), ServerReflectionRequest.Parser.ParseFrom);
    private static readonly Marshaller<ServerReflectionResponse> Responses = Marshallers.Create(static r => r.ToByteArray(), ServerReflectionResponse.Parser.ParseFrom);

    private static readonly Method<ServerReflectionRequest, ServerReflectionResponse>[] Versions =
    [
        new(MethodType.DuplexStreaming, "grpc.reflection.v1.ServerReflection", "ServerReflectionInfo", Requests, Responses),
        new(MethodType.DuplexStreaming, "grpc.reflection.v1alpha.ServerReflection", "ServerReflectionInfo", Requests, Responses),
    ];

    public static async Task<MethodDescriptor> ResolveAsync(CallInvoker invoker, GrpcMethodName name, Uri address, CancellationToken cancellationToken)
    {
        var source = $"the server reflection of {address}";
        for (var version = 0; ; version++)
        {
            try
            {
                return await ResolveAsync(invoker, Versions[version], name, source, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented && version + 1 < Versions.Length)
            {
                // An older server: ask the next version.
            }
            catch (RpcException e)
            {
                throw new ArgumentException($"{source} did not answer: status {StatusText.Of(e)} (does the server map the reflection service?).", e);
            }
        }
    }

    private static async Task<MethodDescriptor> ResolveAsync(
        CallInvoker invoker, Method<ServerReflectionRequest, ServerReflectionResponse> reflection, GrpcMethodName name, string source, CancellationToken cancellationToken)
    {
        using var call = invoker.AsyncDuplexStreamingCall(reflection, null, new CallOptions(cancellationToken: cancellationToken));
        var files = new Dictionary<string, FileDescriptorProto>(StringComparer.Ordinal);
        var response = await AskAsync(call, new ServerReflectionRequest { FileContainingSymbol = name.Service }, cancellationToken).ConfigureAwait(false);
        if (response.MessageResponseCase == ServerReflectionResponse.MessageResponseOneofCase.ErrorResponse)
        {
            var list = await AskAsync(call, new ServerReflectionRequest { ListServices = "" }, cancellationToken).ConfigureAwait(false);
            throw new ArgumentException($"gRPC service '{name.Service}' is not in {source} (services: {string.Join(", ", (list.ListServicesResponse?.Service.Select(s => s.Name) ?? []).Order(StringComparer.Ordinal))}).");
        }

        Add(files, response);

        // Ask for the imports the server did not send along.
        while (files.Values.SelectMany(f => f.Dependency).FirstOrDefault(d => !files.ContainsKey(d)) is { } missing)
        {
            response = await AskAsync(call, new ServerReflectionRequest { FileByFilename = missing }, cancellationToken).ConfigureAwait(false);
            if (response.MessageResponseCase == ServerReflectionResponse.MessageResponseOneofCase.ErrorResponse)
            {
                throw new ArgumentException($"{source} does not have {missing}: {response.ErrorResponse.ErrorMessage}");
            }

            Add(files, response);
        }

        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        return GrpcDescriptorSet.Find(GrpcDescriptorSet.Build(files.Values, source), name, source);
    }

    private static async Task<ServerReflectionResponse> AskAsync(
        AsyncDuplexStreamingCall<ServerReflectionRequest, ServerReflectionResponse> call, ServerReflectionRequest request, CancellationToken cancellationToken)
    {
        await call.RequestStream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        return await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false)
            ? call.ResponseStream.Current
            : throw new RpcException(new Status(StatusCode.Unavailable, "the reflection stream ended before an answer"));
    }

    private static void Add(Dictionary<string, FileDescriptorProto> files, ServerReflectionResponse response)
    {
        foreach (var bytes in response.FileDescriptorResponse?.FileDescriptorProto ?? [])
        {
            var file = FileDescriptorProto.Parser.ParseFrom(bytes);
            files.TryAdd(file.Name, file);
        }
    }
}
