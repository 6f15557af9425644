using LoadKit.Cluster;
using LoadKit.Cluster.Protocol;
using LoadKit.ControlPage.Page;

namespace LoadKit.ControlPage.Workers;

/// <summary>One worker as the Workers tab shows it.</summary>
/// <param name="Id">The worker's id.</param>
/// <param name="State">idle, busy, or "claimed by run X" (with "busy" once it runs).</param>
/// <param name="Claim">The id of the run that claimed it; null when none did.</param>
/// <param name="Address">Its gRPC address.</param>
/// <param name="Version">Its LoadKit version.</param>
/// <param name="Protocol">Its controller-worker protocol, and whether this page's runs can use it.</param>
/// <param name="Cores">Its processors.</param>
/// <param name="Labels">Its labels.</param>
/// <param name="LastHeartbeat">Its lease's last keep-alive; null when etcd did not say.</param>
internal sealed record WorkerRow(
    string Id, string State, string? Claim, string Address, string Version, string Protocol, int Cores, IReadOnlyDictionary<string, string> Labels, DateTimeOffset? LastHeartbeat);

/// <summary>The workers registered in etcd, watched (<see cref="EtcdAccess.WatchWorkersAsync"/>), told to the open pages on each change.</summary>
internal sealed class WorkerBoard : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watch;
    private readonly PageFeed _feed;
    private IReadOnlyList<WorkerRow> _workers = [];
    private string? _problem;

    public WorkerBoard(ClusterOptions cluster, PageFeed feed)
    {
        _feed = feed;
        Source = $"etcd {string.Join(",", cluster.Etcd)}, prefix {cluster.Prefix}";
        var etcd = EtcdAccess.From(cluster);
        _watch = Task.Run(() => etcd.WatchWorkersAsync(cluster.Prefix, Changed, Failed, _stop.Token));
    }

    /// <summary>Where the workers are listed from, for the page.</summary>
    public string Source { get; }

    /// <summary>What the Workers tab shows now.</summary>
    public object View => new { source = Source, problem = Volatile.Read(ref _problem), workers = Volatile.Read(ref _workers) };

    private void Changed(IReadOnlyList<WorkerStatus> workers)
    {
        Volatile.Write(ref _workers, [.. workers.Select(Row)]);
        Volatile.Write(ref _problem, null);
        _feed.Send("workers", View);
    }

    private void Failed(string problem)
    {
        Volatile.Write(ref _problem, problem);
        _feed.Send("workers", View);
    }

    private static WorkerRow Row(WorkerStatus status)
    {
        var info = status.Info;
        var state = status.Claim is { } claim
            ? $"claimed by run {claim.Run}{(info.State == WorkerInfo.Busy ? ", busy" : "")}"
            : info.State;
        var protocol = info.Protocol == ProtocolVersion.Current
            ? ProtocolVersion.Describe(info.Protocol)
            : $"{ProtocolVersion.Describe(info.Protocol)} (not used: this page speaks {ProtocolVersion.Describe(ProtocolVersion.Current)})";
        return new WorkerRow(info.Id, state, status.Claim?.Run, info.Address, info.Version, protocol, info.Cores, info.Labels, status.LastHeartbeat);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watch;
        _stop.Dispose();
    }
}
