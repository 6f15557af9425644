using Grpc.Core;

namespace LoadKit;

/// <summary>How errors name a call's status: <c>NOT_FOUND: order refused</c>.</summary>
internal static class StatusText
{
    public static string Of(RpcException exception) =>
        GrpcStats.StatusName((int)exception.StatusCode) + (exception.Status.Detail is { Length: > 0 } detail ? $": {detail}" : "");
}
