using LoadKit.Cluster.Protocol;

namespace LoadKit.Cluster;

/// <summary>A registered worker as a live view shows it: its registration, the run that claimed it, and its last heartbeat.</summary>
/// <param name="Info">What the worker registered (address, version, cores, labels, idle or busy).</param>
/// <param name="Claim">The run that claimed it; null when no controller holds it.</param>
/// <param name="LastHeartbeat">
/// When its lease was last kept alive, as etcd tells it (whole seconds: the lease's granted TTL minus what is left of
/// it, before the time it was read); null when etcd did not say.
/// </param>
public sealed record WorkerStatus(WorkerInfo Info, WorkerClaim? Claim, DateTimeOffset? LastHeartbeat);
