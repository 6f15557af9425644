using dotnet_etcd;
using Etcdserverpb;
using Grpc.Core;
using LoadKit.Display;

namespace LoadKit.Cluster;

/// <summary>
/// The etcd lease a controller's claims live under: granted when the first claim is tried, kept alive until the claims
/// end, then revoked (or left to its TTL when etcd does not answer). A keep-alive that breaks while claims are held does
/// not fail the run (etcd is discovery only): it becomes a note; the next claim attempt takes a new lease.
/// </summary>
/// <param name="client">The claims' etcd client.</param>
/// <param name="endpoints">etcd's endpoints, for notes.</param>
/// <param name="callDeadline">How long one call to etcd may take.</param>
/// <param name="claimed">Whether claims were made under the lease (a break before that is no news).</param>
/// <param name="failure">The error for an etcd that did not answer a grant.</param>
/// <param name="note">Where notes for the run's result go.</param>
internal sealed class ClaimLease(
    EtcdClient client,
    IReadOnlyList<Uri> endpoints,
    TimeSpan callDeadline,
    Func<bool> claimed,
    Func<Exception, CancellationToken, Task<DistributedRunException>> failure,
    Action<string> note)
{
    private readonly CancellationTokenSource _stop = new();
    private long _leaseId;
    private Task? _keepAlive;
    private CancellationTokenSource? _leaseStop;

    /// <summary>The lease's id, granted now unless the current one is alive.</summary>
    /// <exception cref="DistributedRunException">etcd did not answer.</exception>
    public async Task<long> EnsureAsync(CancellationToken cancellationToken)
    {
        if (_leaseId != 0 && _keepAlive is { IsCompleted: false })
        {
            return _leaseId;
        }

        await ForgetAsync().ConfigureAwait(false);
        try
        {
            var lease = await client.LeaseGrantAsync(new LeaseGrantRequest { TTL = WorkerClaims.LeaseSeconds }, deadline: DateTime.UtcNow + callDeadline, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            _leaseId = lease.ID;
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested && WorkerClaims.IsUnanswered(exception))
        {
            throw await failure(exception, cancellationToken).ConfigureAwait(false);
        }

        _leaseStop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        _keepAlive = KeepAliveAsync(_leaseId, _leaseStop.Token);
        return _leaseId;
    }

    /// <summary>Stops keeping the current lease alive (etcd no longer has it, or the claims end).</summary>
    public async Task ForgetAsync()
    {
        if (_leaseStop is not null)
        {
            await _leaseStop.CancelAsync().ConfigureAwait(false);
        }

        if (_keepAlive is not null)
        {
            await _keepAlive.ConfigureAwait(false);
        }

        _leaseStop?.Dispose();
        (_leaseStop, _keepAlive, _leaseId) = (null, null, 0);
    }

    /// <summary>Ends the lease, so every claim under it goes at once (or with the TTL if etcd does not answer).</summary>
    public async Task RevokeAsync()
    {
        var leaseId = _leaseId;
        await _stop.CancelAsync().ConfigureAwait(false);
        await ForgetAsync().ConfigureAwait(false);
        _stop.Dispose();
        if (leaseId != 0)
        {
            try
            {
                await client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = leaseId }, deadline: DateTime.UtcNow + callDeadline).ConfigureAwait(false);
            }
            catch (Exception exception) when (WorkerClaims.IsUnanswered(exception))
            {
                // The claims vanish with the lease's TTL.
            }
        }
    }

    private async Task KeepAliveAsync(long leaseId, CancellationToken cancellationToken)
    {
        var since = DateTime.UtcNow;
        try
        {
            await client.LeaseKeepAlive(leaseId, cancellationToken).ConfigureAwait(false);
            if (!cancellationToken.IsCancellationRequested)
            {
                Broke(leaseId, since, "it ended");
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // The claims ended, or the lease was replaced.
        }
        catch (Exception exception)
        {
            Broke(leaseId, since, exception is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : exception.GetType().Name);
        }
    }

    private void Broke(long leaseId, DateTime since, string why)
    {
        if (!claimed())
        {
            return; // no claim was made under it yet: the next attempt takes a new lease
        }

        note($"The keep-alive of this run's claims (etcd lease {leaseId:x} at {string.Join(", ", endpoints)}) broke " +
            $"{Format.Duration(DateTime.UtcNow - since)} after they were made ({why}); the run went on (etcd is discovery only), " +
            $"and its claims lapse within {WorkerClaims.LeaseSeconds} s, while its workers stay busy until it ends.");
    }
}
