namespace LoadKit.Cluster.Protocol;

/// <summary>A piece of an uploaded artifact (worker.proto's <c>ArtifactChunk</c>; the rest of this type is generated from it).</summary>
public sealed partial class ArtifactChunk
{
    /// <summary>The most bytes of the artifact one chunk carries (1 MiB): a worker accepts messages of twice that.</summary>
    public const int MaxDataBytes = 1024 * 1024;
}
