using dotnet_etcd;
using Etcdserverpb;
using Grpc.Core;
using LoadKit.Cluster.Protocol;
using LoadKit.Worker.Service;

namespace LoadKit.Worker.Registration;

/// <summary>
/// Decides whether this worker takes a run, before anything of it runs: the controller must speak this worker's
/// protocol version, and the run must hold this worker's claim in etcd (<c>/&lt;prefix&gt;/claims/&lt;id&gt;</c>, written by
/// the controller under its lease). Otherwise the run is refused with FailedPrecondition, naming both versions or the
/// run that holds the claim. When etcd does not answer within the deadline the run is refused too: a worker cannot
/// tell then whether another controller holds it, and running unclaimed is how two controllers split a pool.
/// </summary>
internal sealed class ClaimCheck(WorkerOptions options, WorkerIdentity identity, ILogger<ClaimCheck> logger) : IDisposable
{
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(3);
    private readonly Lazy<EtcdClient> _client = new(() => options.Etcd.NewClient());

    /// <exception cref="RpcException">FailedPrecondition: the run may not run here; the detail says why.</exception>
    public async Task CheckAsync(Prepare prepare, CancellationToken cancellationToken)
    {
        if (prepare.ProtocolVersion != ProtocolVersion.Current)
        {
            Refuse(prepare.RunId, ProtocolVersion.Mismatch("The controller", prepare.ProtocolVersion, $"worker {identity.Id}", ProtocolVersion.Current));
        }

        var key = WorkerClaim.Key(options.Prefix, identity.Id);
        RangeResponse range;
        try
        {
            range = await _client.Value.GetAsync(key, deadline: DateTime.UtcNow + CallDeadline, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested && exception is RpcException or OperationCanceledException)
        {
            if (await options.Etcd.ExplainAsync(exception, cancellationToken).ConfigureAwait(false) is { } problem)
            {
                Refuse(prepare.RunId, $"Worker {identity.Id} could not check its claim {key} for run {prepare.RunId}: {problem}");
            }

            Refuse(prepare.RunId,
                $"Worker {identity.Id} could not check its claim {key} for run {prepare.RunId}: etcd at {string.Join(", ", options.EtcdEndpoints)} " +
                $"did not answer within {CallDeadline.TotalSeconds:0} s ({(exception as RpcException)?.StatusCode ?? StatusCode.DeadlineExceeded}); " +
                "it runs only a run that holds its claim. Try again when etcd answers.");
            return;
        }

        if (range.Kvs.Count == 0)
        {
            Refuse(prepare.RunId,
                $"Worker {identity.Id} is not claimed by run {prepare.RunId}: there is no claim {key} in etcd. A controller claims its workers " +
                "there before it runs them (LoadKit with worker protocol " + ProtocolVersion.Current + ").");
        }

        var claim = WorkerClaim.FromJson(range.Kvs[0].Value.ToStringUtf8());
        if (claim.Run != prepare.RunId)
        {
            Refuse(prepare.RunId, $"Worker {identity.Id} is claimed by {claim.Describe()}, not by run {prepare.RunId}: it runs only the run that holds its claim.");
        }
    }

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }

    private void Refuse(string runId, string why)
    {
        logger.LogWarning("Run {Run}: refused: {Why}", runId, why);
        throw new RpcException(new Status(StatusCode.FailedPrecondition, why));
    }
}
