using System.Collections.Immutable;
using Grpc.Core;

namespace LoadKit;

/// <summary>Request metadata as a call description holds it: keys checked once, values as templates filled per call.</summary>
internal static class GrpcMetadata
{
    /// <exception cref="ArgumentException">An empty key, or one that ends in "-bin" (binary metadata is not a text).</exception>
    public static ImmutableArray<(string Key, Template Value)> Add(ImmutableArray<(string Key, Template Value)> metadata, string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (string.IsNullOrWhiteSpace(key) || key.EndsWith("-bin", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"gRPC metadata key '{key}': allowed a non-empty ASCII key that does not end in \"-bin\".", nameof(key));
        }

        return metadata.Add((key.ToLowerInvariant(), Template.Parse(value)));
    }

    /// <summary>The headers of one call, filled from <paramref name="session"/>; null when there are none.</summary>
    public static Metadata? Render(ImmutableArray<(string Key, Template Value)> metadata, Session session)
    {
        if (metadata.IsEmpty)
        {
            return null;
        }

        var headers = new Metadata();
        foreach (var (key, value) in metadata)
        {
            headers.Add(key, value.Render(session));
        }

        return headers;
    }
}
