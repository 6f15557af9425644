using Grpc.Core;

namespace LoadKit.Cluster.Protocol;

/// <summary>How a controller proves itself to a worker: the shared token in an <c>authorization: Bearer</c> header.</summary>
public static class WorkerToken
{
    /// <summary>The header that carries the token.</summary>
    public const string HeaderName = "authorization";

    /// <summary>What precedes the token in the header's value.</summary>
    public const string Scheme = "Bearer ";

    /// <summary>The headers every call to a worker carries.</summary>
    public static Metadata Headers(string token) => new() { { HeaderName, Scheme + token } };
}
