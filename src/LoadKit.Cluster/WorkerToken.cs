using Grpc.Core;

namespace LoadKit.Cluster;

/// <summary>How a controller proves itself to a worker: the shared token in an <c>authorization: Bearer</c> header.</summary>
internal static class WorkerToken
{
    public const string HeaderName = "authorization";
    public const string Scheme = "Bearer ";

    /// <summary>The headers every call to a worker carries.</summary>
    public static Metadata Headers(string token) => new() { { HeaderName, Scheme + token } };
}
