using Grpc.Core;
using LoadKit.Cluster.Protocol;
using LoadKit.Display;
using dotnet_etcd;

namespace LoadKit.Cluster;

/// <summary>
/// The controller's view of the workers registered in etcd under <c>/&lt;prefix&gt;/workers/</c>. Every call has a
/// deadline, and an etcd that does not answer is named in the error instead of being retried for seconds.
/// </summary>
internal sealed class WorkerDirectory : IDisposable
{
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(2);
    private readonly EtcdAccess _etcd;
    private readonly IReadOnlyList<Uri> _endpoints;
    private readonly string _prefix;
    private readonly EtcdClient _client;

    public WorkerDirectory(IReadOnlyList<Uri> endpoints, string prefix)
        : this(new EtcdAccess(endpoints), prefix)
    {
    }

    public WorkerDirectory(EtcdAccess etcd, string prefix)
    {
        _etcd = etcd;
        _endpoints = etcd.Endpoints;
        _prefix = prefix.Trim('/');
        _client = etcd.NewClient();
    }

    /// <summary>The key prefix the workers register under, e.g. <c>/loadkit/workers/</c>.</summary>
    public string WorkersPrefix => $"/{_prefix}/workers/";

    /// <summary>Every registered worker now; etcd must answer within <paramref name="deadline"/> (default 2 s).</summary>
    /// <exception cref="DistributedRunException">etcd did not answer, or refused these settings; the message names the endpoints.</exception>
    public async Task<IReadOnlyList<WorkerInfo>> ListAsync(CancellationToken cancellationToken, TimeSpan? deadline = null)
    {
        var within = deadline ?? CallDeadline;
        try
        {
            var range = await _client.GetRangeAsync(WorkersPrefix, deadline: DateTime.UtcNow + within, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            return range.Kvs.Select(kv => WorkerInfo.FromJson(kv.Value.ToStringUtf8())).OrderBy(w => w.Id, StringComparer.Ordinal).ToArray();
        }
        catch (Exception exception) when (exception is RpcException || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // The client's retry layer sometimes reports the deadline as a cancellation nobody asked for.
            throw await FailureAsync(_etcd, $"{Format.Duration(within)} ({(exception as RpcException)?.StatusCode ?? StatusCode.DeadlineExceeded})", exception, cancellationToken)
                .ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits until at least <paramref name="count"/> idle workers are registered and returns <paramref name="count"/>
    /// of them; woken by an etcd watch on the prefix, never by polling.
    /// </summary>
    /// <exception cref="DistributedRunException">Not enough idle workers within <paramref name="timeout"/>: the message says how many there were.</exception>
    public async Task<IReadOnlyList<WorkerInfo>> WaitForIdleAsync(int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var changed = new SemaphoreSlim(0);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        await using var watch = await WatchAsync(_etcd, WorkersPrefix, () => changed.Release(), timeout, deadline.Token, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var workers = await ListAsync(cancellationToken).ConfigureAwait(false);
            var idle = workers.Where(w => w.State == WorkerInfo.Idle).ToArray();
            if (idle.Length >= count)
            {
                return idle.Take(count).ToArray();
            }

            try
            {
                await changed.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                var seen = workers.Count == 0
                    ? "none"
                    : string.Join(", ", workers.Select(w => $"{w.Id} ({w.State})"));
                throw new DistributedRunException(
                    $"Waited {Format.Duration(timeout)} for {count} idle workers under {WorkersPrefix} in etcd at " +
                    $"{string.Join(", ", _endpoints)}, and saw {idle.Length} idle of {workers.Count} registered: {seen}. " +
                    "Start more workers (loadkit-worker --etcd ... --prefix " + _prefix + "), or lower the expected count.");
            }
        }
    }

    /// <summary>
    /// Tells <paramref name="changed"/> every registered worker with its claim and last heartbeat: at once, then after
    /// each change of a registration or a claim (an etcd watch on the prefix), and every
    /// <paramref name="heartbeats"/> for the heartbeats alone (a keep-alive changes no key). An etcd that fails is told
    /// to <paramref name="failed"/> and tried again (back-off up to 5 s). Runs until cancelled.
    /// </summary>
    public async Task WatchStatusAsync(Action<IReadOnlyList<WorkerStatus>> changed, Action<string> failed, TimeSpan heartbeats, CancellationToken cancellationToken)
    {
        var backOff = TimeSpan.FromMilliseconds(200);
        using var signal = new SemaphoreSlim(0);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var watch = await PrefixWatch.StartAsync(_etcd, $"/{_prefix}/", () => signal.Release(), cancellationToken).ConfigureAwait(false);
                while (true)
                {
                    changed(await StatusAsync(cancellationToken).ConfigureAwait(false));
                    backOff = TimeSpan.FromMilliseconds(200);
                    await signal.WaitAsync(heartbeats, cancellationToken).ConfigureAwait(false);
                    while (signal.Wait(0))
                    {
                        // One read for the changes that came together.
                    }
                }
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested
                && exception is RpcException or DistributedRunException or IOException or OperationCanceledException or InvalidOperationException or System.Net.Sockets.SocketException)
            {
                failed(exception is DistributedRunException ? exception.Message
                    : (await FailureAsync(_etcd, $"{Format.Duration(CallDeadline)} to a watch of /{_prefix}/", exception, cancellationToken).ConfigureAwait(false)).Message);
                await Task.Delay(backOff, cancellationToken).ConfigureAwait(false);
                backOff = TimeSpan.FromTicks(Math.Min(5 * TimeSpan.TicksPerSecond, backOff.Ticks * 2));
            }
        }
    }

    /// <summary>Every registered worker now, with its claim and its lease's last keep-alive.</summary>
    private async Task<IReadOnlyList<WorkerStatus>> StatusAsync(CancellationToken cancellationToken)
    {
        var claimsPrefix = WorkerClaim.KeyPrefix(_prefix);
        var range = await _client.GetRangeAsync($"/{_prefix}/", deadline: DateTime.UtcNow + CallDeadline, cancellationToken: cancellationToken).ConfigureAwait(false);
        var claims = range.Kvs.Where(kv => kv.Key.ToStringUtf8().StartsWith(claimsPrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key.ToStringUtf8()[claimsPrefix.Length..], kv => WorkerClaim.FromJson(kv.Value.ToStringUtf8()), StringComparer.Ordinal);
        var workers = new List<WorkerStatus>();
        foreach (var kv in range.Kvs.Where(kv => kv.Key.ToStringUtf8().StartsWith(WorkersPrefix, StringComparison.Ordinal)))
        {
            WorkerInfo info;
            try
            {
                info = WorkerInfo.FromJson(kv.Value.ToStringUtf8());
            }
            catch (System.Text.Json.JsonException)
            {
                continue; // not a worker's registration
            }

            DateTimeOffset? heartbeat = null;
            if (kv.Lease != 0)
            {
                var readAt = DateTimeOffset.UtcNow;
                var lease = await _client.LeaseTimeToLiveAsync(new Etcdserverpb.LeaseTimeToLiveRequest { ID = kv.Lease }, deadline: DateTime.UtcNow + CallDeadline, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
                if (lease.TTL >= 0 && lease.GrantedTTL > 0)
                {
                    heartbeat = readAt - TimeSpan.FromSeconds(Math.Max(0, lease.GrantedTTL - lease.TTL));
                }
            }

            workers.Add(new WorkerStatus(info, claims.GetValueOrDefault(info.Id), heartbeat));
        }

        return [.. workers.OrderBy(w => w.Info.Id, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Watches <paramref name="prefix"/>. An etcd that refuses or does not answer is tried again (back-off up to a second)
    /// until <paramref name="deadline"/> (the worker wait) ends, so a restarting etcd delays a run rather than failing
    /// it; then the error names the endpoints and the wait, instead of surfacing as the client's own exception. A
    /// failure the settings cause (a refused password or certificate) is not retried: its error names the setting.
    /// </summary>
    internal static async Task<PrefixWatch> WatchAsync(
        EtcdAccess etcd, string prefix, Action changed, TimeSpan timeout, CancellationToken deadline, CancellationToken cancellationToken)
    {
        var endpoints = etcd.Endpoints;
        var backOff = TimeSpan.FromMilliseconds(100);
        var last = "no answer";
        while (true)
        {
            try
            {
                return await PrefixWatch.StartAsync(etcd, prefix, changed, deadline).ConfigureAwait(false);
            }
            catch (Exception exception) when (!deadline.IsCancellationRequested && exception is RpcException or System.Net.Sockets.SocketException or IOException)
            {
                if (await etcd.ExplainAsync(exception, cancellationToken).ConfigureAwait(false) is { } problem)
                {
                    throw new DistributedRunException(problem, exception);
                }

                last = exception is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : exception.Message;
                try
                {
                    await Task.Delay(backOff, deadline).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw Unreachable(endpoints, prefix, timeout, last, exception);
                }

                backOff = TimeSpan.FromTicks(Math.Min(TimeSpan.TicksPerSecond, backOff.Ticks * 2));
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested
                && exception is RpcException or System.Net.Sockets.SocketException or IOException or OperationCanceledException or InvalidOperationException)
            {
                if (await etcd.ExplainAsync(exception, cancellationToken).ConfigureAwait(false) is { } problem)
                {
                    throw new DistributedRunException(problem, exception);
                }

                throw Unreachable(endpoints, prefix, timeout, $"{last}; {exception.GetType().Name}: {exception.Message}", exception);
            }
        }
    }

    /// <summary>The one error for an etcd that does not answer: which endpoints, within what, and what to check.</summary>
    internal static DistributedRunException Unanswered(IReadOnlyList<Uri> endpoints, string within, Exception exception) => new(
        $"etcd at {string.Join(", ", endpoints)} did not answer within {within}; " +
        "check the endpoints given in LOADKIT_ETCD (or the LoadKit.Etcd run parameter) and that etcd is running.",
        exception);

    /// <summary>The error for a failed call: the settings' problem when they caused it, else <see cref="Unanswered"/>.</summary>
    internal static async Task<DistributedRunException> FailureAsync(EtcdAccess etcd, string within, Exception exception, CancellationToken cancellationToken) =>
        await etcd.ExplainAsync(exception, cancellationToken).ConfigureAwait(false) is { } problem
            ? new DistributedRunException(problem, exception)
            : Unanswered(etcd.Endpoints, within, exception);

    private static DistributedRunException Unreachable(IReadOnlyList<Uri> endpoints, string prefix, TimeSpan timeout, string last, Exception exception) =>
        Unanswered(endpoints, $"{Format.Duration(timeout)} (the worker wait) to a watch of {prefix} (last error: {last})", exception);

    public void Dispose() => _client.Dispose();
}
