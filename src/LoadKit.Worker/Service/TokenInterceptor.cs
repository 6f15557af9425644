using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using LoadKit.Cluster.Protocol;

namespace LoadKit.Worker.Service;

/// <summary>
/// Refuses every call whose <c>authorization: Bearer</c> token is not the worker's, comparing in constant time so
/// that the answer's timing tells nothing about the token.
/// </summary>
internal sealed class TokenInterceptor(WorkerOptions options) : Interceptor
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(options.Token);

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Authenticate(ServerCallContext context)
    {
        var header = context.RequestHeaders.GetValue(WorkerToken.HeaderName);
        var given = header is not null && header.StartsWith(WorkerToken.Scheme, StringComparison.Ordinal)
            ? Encoding.UTF8.GetBytes(header[WorkerToken.Scheme.Length..])
            : [];
        if (!CryptographicOperations.FixedTimeEquals(given, _expected))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                header is null ? "No token: send 'authorization: Bearer <token>' with the worker's shared token." : "Wrong token for this worker."));
        }
    }
}
