using System.Globalization;
using System.Text.Json;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using LoadKit.Cluster.Protocol;
using LoadKit.Display;

namespace LoadKit.Cluster;

/// <summary>
/// The workers one run has claimed. A controller claims all the workers it needs in one etcd transaction: it puts a
/// claim key for each, under a lease of its own, only if no claim key exists for any of them and each worker's
/// registration is still the one it read (idle). So two controllers never split a pool: one gets all it asked for,
/// the other waits (woken by an etcd watch) up to its worker wait, then fails naming what it found and which runs hold
/// the rest. The claims end when the run ends (<see cref="DisposeAsync"/> revokes the lease), or with the lease's TTL
/// when the controller dies. A keep-alive that fails during the run does not fail it (etcd is discovery only): it is
/// noted in <see cref="Notes"/>.
/// </summary>
internal sealed class WorkerClaims : IAsyncDisposable
{
    /// <summary>The TTL of the controller's lease: a dead controller's claims vanish this long after it died.</summary>
    public const int LeaseSeconds = 5;

    /// <summary>etcd's default limit of operations per transaction (<c>--max-txn-ops</c>).</summary>
    private const int MaxTxnOps = 128;

    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(2);
    private readonly EtcdAccess _etcd;
    private readonly IReadOnlyList<Uri> _endpoints;
    private readonly WorkerTrust? _trust;
    private readonly Dictionary<(string Id, string Address), string?> _vetted = [];
    private readonly string _prefix;
    private readonly EtcdClient _client;
    private readonly List<string> _notes = [];
    private readonly ClaimLease _lease;

    private WorkerClaims(EtcdAccess etcd, string prefix, string runId, WorkerTrust? trust)
    {
        _etcd = etcd;
        _endpoints = etcd.Endpoints;
        _trust = trust;
        _prefix = prefix.Trim('/');
        RunId = runId;
        _client = etcd.NewClient();
        _lease = new ClaimLease(_client, _endpoints, CallDeadline, () => Workers.Count > 0, FailureAsync, note =>
        {
            lock (_notes)
            {
                _notes.Add(note);
            }
        });
    }

    /// <summary>The run the claims are for.</summary>
    public string RunId { get; }

    /// <summary>The claimed workers, in id order.</summary>
    public IReadOnlyList<WorkerInfo> Workers { get; private set; } = [];

    /// <summary>What went wrong with the lease while the claims lived (its keep-alive broke), for the result's notes.</summary>
    public IReadOnlyList<string> Notes
    {
        get
        {
            lock (_notes)
            {
                return [.. _notes];
            }
        }
    }

    /// <summary>Who this controller is, as its claims name it.</summary>
    public static string Controller { get; } = $"{Environment.MachineName}/{Environment.ProcessId}";

    /// <summary>
    /// Claims <paramref name="count"/> idle, unclaimed workers that speak this controller's protocol, registered under
    /// <paramref name="prefix"/>, for run <paramref name="runId"/>; waits up to <paramref name="wait"/> for them. With a
    /// <paramref name="trust"/> that pins workers, a worker that fails its pins is never claimed (and never sent anything);
    /// <see cref="Notes"/> name it.
    /// </summary>
    /// <exception cref="DistributedRunException">
    /// Too few such workers within <paramref name="wait"/> (the message names how many were registered, idle and
    /// unclaimed, and which runs hold the others), or etcd did not answer (the message names the endpoints).
    /// </exception>
    public static async Task<WorkerClaims> ClaimAsync(
        EtcdAccess etcd, string prefix, int count, string runId, TimeSpan wait, CancellationToken cancellationToken, WorkerTrust? trust = null)
    {
        if (count > MaxTxnOps)
        {
            throw new DistributedRunException(
                $"{ClusterOptions.WorkersVariable} = {count}: a controller claims its workers in one etcd transaction, and etcd allows " +
                $"{MaxTxnOps} operations in one by default (--max-txn-ops): at most {MaxTxnOps} workers per run.");
        }

        var claims = new WorkerClaims(etcd, prefix, runId, trust);
        try
        {
            await claims.ClaimAsync(count, wait, cancellationToken).ConfigureAwait(false);
            return claims;
        }
        catch
        {
            await claims.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Ends the claims: revokes the lease, so every claim key goes at once (or with the TTL if etcd does not answer).</summary>
    public async ValueTask DisposeAsync()
    {
        await _lease.RevokeAsync().ConfigureAwait(false);
        _client.Dispose();
    }

    private async Task ClaimAsync(int count, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var changed = new SemaphoreSlim(0);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(wait);

        // Workers and claims are both under /<prefix>/: a worker that turns idle and a claim that ends both wake the
        // wait. An etcd that does not answer yet is tried again until the worker wait ends (a restarting etcd delays a run).
        await using var watch = await WorkerDirectory.WatchAsync(_etcd, $"/{_prefix}/", () => changed.Release(), wait, deadline.Token, cancellationToken)
            .ConfigureAwait(false);
        while (true)
        {
            var view = await ReadAsync(cancellationToken).ConfigureAwait(false);
            var free = await AllowedAsync(view.Workers
                .Where(w => w.Info.State == WorkerInfo.Idle && w.Info.Protocol == ProtocolVersion.Current && !view.Claims.ContainsKey(w.Info.Id))
                .ToArray(), cancellationToken).ConfigureAwait(false);
            if (free.Length >= count)
            {
                var chosen = free.Take(count).ToArray();
                if (await TryClaimAsync(chosen, cancellationToken).ConfigureAwait(false))
                {
                    Workers = [.. chosen.Select(w => w.Info)];
                    return;
                }

                if (!deadline.IsCancellationRequested)
                {
                    continue; // another controller (or a worker) was faster: read again
                }

                throw new DistributedRunException(TooFew(count, wait, await ReadAsync(cancellationToken).ConfigureAwait(false)));
            }

            try
            {
                await changed.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new DistributedRunException(TooFew(count, wait, view));
            }
        }
    }

    /// <summary>
    /// The workers among <paramref name="candidates"/> that the trust allows; each registration (id and address) is
    /// checked once, and one that is refused is noted.
    /// </summary>
    private async Task<(WorkerInfo Info, long Revision)[]> AllowedAsync((WorkerInfo Info, long Revision)[] candidates, CancellationToken cancellationToken)
    {
        if (_trust is not { Pinned: true } trust)
        {
            return candidates;
        }

        var unvetted = candidates.Where(w => !_vetted.ContainsKey((w.Info.Id, w.Info.Address))).ToArray();
        var verdicts = await Task.WhenAll(unvetted.Select(w => trust.CheckAsync(w.Info, cancellationToken))).ConfigureAwait(false);
        for (var i = 0; i < unvetted.Length; i++)
        {
            var info = unvetted[i].Info;
            _vetted[(info.Id, info.Address)] = verdicts[i];
            if (verdicts[i] is { } refusal)
            {
                lock (_notes)
                {
                    _notes.Add($"Worker {info.Id} at {info.Address} was not used: {refusal} Nothing was sent to it.");
                }
            }
        }

        return [.. candidates.Where(w => _vetted[(w.Info.Id, w.Info.Address)] is null)];
    }

    /// <summary>Every registered worker with its key's revision, and every claim, read at one revision.</summary>
    private async Task<View> ReadAsync(CancellationToken cancellationToken)
    {
        RangeResponse range;
        try
        {
            range = await _client.GetRangeAsync($"/{_prefix}/", deadline: DateTime.UtcNow + CallDeadline, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested && IsUnanswered(exception))
        {
            throw await FailureAsync(exception, cancellationToken).ConfigureAwait(false);
        }

        var workersPrefix = WorkerInfo.Key(_prefix, "");
        var claimsPrefix = WorkerClaim.KeyPrefix(_prefix);
        var workers = new List<(WorkerInfo, long)>();
        var claims = new Dictionary<string, WorkerClaim>(StringComparer.Ordinal);
        foreach (var kv in range.Kvs)
        {
            var key = kv.Key.ToStringUtf8();
            if (key.StartsWith(workersPrefix, StringComparison.Ordinal))
            {
                try
                {
                    workers.Add((WorkerInfo.FromJson(kv.Value.ToStringUtf8()), kv.ModRevision));
                }
                catch (JsonException)
                {
                    // Not a worker's registration: not a worker to use.
                }
            }
            else if (key.StartsWith(claimsPrefix, StringComparison.Ordinal))
            {
                claims[key[claimsPrefix.Length..]] = WorkerClaim.FromJson(kv.Value.ToStringUtf8());
            }
        }

        return new View([.. workers.OrderBy(w => w.Item1.Id, StringComparer.Ordinal)], claims);
    }

    /// <summary>
    /// One transaction: if no claim key exists for any chosen worker and each worker's registration is unchanged, puts
    /// a claim for each under this controller's lease. False: something changed since it was read.
    /// </summary>
    private async Task<bool> TryClaimAsync((WorkerInfo Info, long Revision)[] chosen, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var leaseId = await _lease.EnsureAsync(cancellationToken).ConfigureAwait(false);
            var claim = ByteString.CopyFromUtf8(new WorkerClaim(RunId, Controller, DateTimeOffset.UtcNow).ToJson());
            var transaction = new TxnRequest();

            // Two compares per worker fit etcd's limit up to 64 workers; beyond, the claim keys alone decide (a worker
            // that became busy meanwhile still refuses the run).
            var compareRegistrations = 2 * chosen.Length <= MaxTxnOps;
            foreach (var (info, revision) in chosen)
            {
                var claimKey = ByteString.CopyFromUtf8(WorkerClaim.Key(_prefix, info.Id));
                transaction.Compare.Add(new Compare { Key = claimKey, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
                if (compareRegistrations)
                {
                    transaction.Compare.Add(new Compare
                    {
                        Key = ByteString.CopyFromUtf8(WorkerInfo.Key(_prefix, info.Id)),
                        Target = Compare.Types.CompareTarget.Mod,
                        Result = Compare.Types.CompareResult.Equal,
                        ModRevision = revision,
                    });
                }

                transaction.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = claimKey, Value = claim, Lease = leaseId } });
            }

            try
            {
                var response = await _client.TransactionAsync(transaction, deadline: DateTime.UtcNow + CallDeadline, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
                return response.Succeeded;
            }
            catch (RpcException exception) when (exception.StatusCode == StatusCode.NotFound && attempt == 0)
            {
                // The lease expired (etcd was away longer than its TTL): take a new one and try once more.
                await _lease.ForgetAsync().ConfigureAwait(false);
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested && IsUnanswered(exception))
            {
                throw await FailureAsync(exception, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private string TooFew(int count, TimeSpan wait, View view)
    {
        var registered = view.Workers.Length;
        var claimedBy = view.Workers
            .Where(w => view.Claims.ContainsKey(w.Info.Id))
            .GroupBy(w => view.Claims[w.Info.Id].Run, StringComparer.Ordinal)
            .Select(g => $"{g.Key} ({g.Count()}: {string.Join(", ", g.Select(w => w.Info.Id))}; {view.Claims[g.First().Info.Id].Holder()})")
            .ToArray();
        var unclaimed = view.Workers.Where(w => !view.Claims.ContainsKey(w.Info.Id)).ToArray();
        var busy = unclaimed.Where(w => w.Info.State != WorkerInfo.Idle).Select(w => w.Info.Id).ToArray();
        var otherProtocol = unclaimed
            .Where(w => w.Info.State == WorkerInfo.Idle && w.Info.Protocol != ProtocolVersion.Current)
            .Select(w => $"{w.Info.Id} speaks protocol {ProtocolVersion.Describe(w.Info.Protocol)} (LoadKit {w.Info.Version}), this controller {ProtocolVersion.Describe(ProtocolVersion.Current)}")
            .ToArray();
        var refused = unclaimed
            .Where(w => w.Info.State == WorkerInfo.Idle && w.Info.Protocol == ProtocolVersion.Current)
            .Select(w => (w.Info, Refusal: _vetted.GetValueOrDefault((w.Info.Id, w.Info.Address))))
            .Where(w => w.Refusal is not null)
            .Select(w => $"{w.Info.Id} at {w.Info.Address}: {w.Refusal!.TrimEnd('.')}")
            .ToArray();
        var free = unclaimed.Length - busy.Length - otherProtocol.Length - refused.Length;
        var parts = new List<string>
        {
            $"Needed {count} idle workers under prefix '{_prefix}' in etcd at {string.Join(", ", _endpoints)}, and after waiting {Format.Duration(wait)} " +
            $"found {free} idle and unclaimed of {registered} registered",
        };
        if (claimedBy.Length > 0)
        {
            parts.Add($"claimed by {(claimedBy.Length == 1 ? "run" : "runs")} " + string.Join(", ", claimedBy));
        }

        if (busy.Length > 0)
        {
            parts.Add($"busy without a claim (ending a run): {busy.Length} ({string.Join(", ", busy)})");
        }

        if (otherProtocol.Length > 0)
        {
            parts.Add($"of another protocol: {string.Join("; ", otherProtocol)}");
        }

        if (refused.Length > 0)
        {
            parts.Add($"not trusted with the token (nothing was sent to them): {string.Join("; ", refused)}");
        }

        return string.Join("; ", parts) + ". " +
            $"Start more workers (loadkit-worker --etcd ... --prefix {_prefix}), wait longer for the runs that hold them to end " +
            $"({ClusterOptions.WorkerWaitVariable}), or lower the expected count ({ClusterOptions.WorkersVariable}).";
    }

    /// <summary>A failed call: etcd did not answer, or refused (the settings' problem is explained).</summary>
    internal static bool IsUnanswered(Exception exception) => exception is RpcException or OperationCanceledException;

    private Task<DistributedRunException> FailureAsync(Exception exception, CancellationToken cancellationToken) => WorkerDirectory.FailureAsync(
        _etcd, $"{Format.Duration(CallDeadline)} while claiming workers ({(exception as RpcException)?.StatusCode ?? StatusCode.DeadlineExceeded})", exception, cancellationToken);

    private sealed record View((WorkerInfo Info, long Revision)[] Workers, Dictionary<string, WorkerClaim> Claims);
}
