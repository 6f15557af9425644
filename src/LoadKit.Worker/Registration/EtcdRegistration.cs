using System.Reflection;
using dotnet_etcd;
using Etcdserverpb;
using Grpc.Core;
using LoadKit.Cluster.Protocol;
using LoadKit.Worker.Service;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace LoadKit.Worker.Registration;

/// <summary>
/// Keeps this worker registered in etcd: a key under a lease it keeps alive. If etcd does not answer, it says which
/// endpoint it tried and tries again with back-off; when the keep-alive breaks it registers anew, with its current
/// state (<c>busy</c> or <c>idle</c>). etcd is discovery only: a run goes on whatever etcd does (the controller's
/// stream is the run's heartbeat). On stop it revokes the lease, so the key vanishes at once rather than after the
/// lease's TTL.
/// </summary>
internal sealed class EtcdRegistration(
    WorkerOptions options, WorkerIdentity identity, IServer server, IHostApplicationLifetime lifetime, ILogger<EtcdRegistration> logger)
    : BackgroundService
{
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan MaxBackOff = TimeSpan.FromSeconds(5);
    private long _leaseId;
    private EtcdClient? _client;
    private readonly SemaphoreSlim _publishing = new(1, 1);
    private volatile string _state = WorkerInfo.Idle;
    private volatile bool _stale;

    /// <summary>
    /// Publishes <c>idle</c> or <c>busy</c> under the current lease (kept for the next registration too). If etcd does
    /// not answer within the call deadline, the state is published again once it does.
    /// </summary>
    public async Task SetStateAsync(string state, CancellationToken cancellationToken)
    {
        _state = state;
        await PublishStateAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The address is known once Kestrel has bound its port (port 0 picks a free one).
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            await started.Task.ConfigureAwait(false);
        }

        var bound = new Uri(server.Features.Get<IServerAddressesFeature>()!.Addresses.First());
        identity.Address = options.Advertise is var (host, port)
            ? new UriBuilder(bound.Scheme, host, port ?? bound.Port).Uri.GetLeftPart(UriPartial.Authority)
            : bound.GetLeftPart(UriPartial.Authority);
        logger.LogInformation("Worker {Id} listening on {Address}", identity.Id, identity.Address);
        if (options.Advertise is null && (options.Listen.Address.Equals(System.Net.IPAddress.Any) || options.Listen.Address.Equals(System.Net.IPAddress.IPv6Any)))
        {
            logger.LogWarning("Listening on {Listen} without --advertise: controllers on other hosts cannot call {Address}; give --advertise HOST (e.g. the pod IP)", options.Listen, identity.Address);
        }
        var backOff = TimeSpan.FromMilliseconds(200);
        var attempt = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var endpoint = options.EtcdEndpoints[attempt++ % options.EtcdEndpoints.Count];
            try
            {
                _client?.Dispose();
                _client = options.Etcd.NewClient(endpoint);
                var lease = await _client.LeaseGrantAsync(new LeaseGrantRequest { TTL = options.LeaseSeconds }, deadline: Deadline(), cancellationToken: stoppingToken);
                var state = await RegisterAsync(_client, lease.ID, stoppingToken);
                logger.LogInformation("Registered {Key} at {Endpoint} as {State} (lease {Lease}, {Ttl} s)", Key(), endpoint, state, lease.ID, options.LeaseSeconds);
                backOff = TimeSpan.FromMilliseconds(200);
                await KeepAliveAsync(_client, lease.ID, stoppingToken);

                logger.LogWarning("Keep-alive of lease {Lease} at {Endpoint} ended; registering again", lease.ID, endpoint);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // Any failure (the keep-alive stream also surfaces IO and protocol errors when etcd dies) means: try
                // again. Letting it escape would stop the whole worker. One the settings cause (a refused password or
                // certificate) is an error that names them; it is tried again too (etcd's users may be fixed meanwhile).
                if (await options.Etcd.ExplainAsync(exception, stoppingToken) is { } problem)
                {
                    logger.LogError("Cannot register: {Problem} Trying again in {Delay} ms", problem, (int)backOff.TotalMilliseconds);
                }
                else
                {
                    logger.LogWarning("etcd at {Endpoint} did not answer ({Reason}); trying again in {Delay} ms",
                        endpoint, exception is RpcException rpc ? rpc.Status.StatusCode.ToString() : exception.GetType().Name, (int)backOff.TotalMilliseconds);
                }

                await Task.Delay(backOff, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                backOff = TimeSpan.FromTicks(Math.Min(MaxBackOff.Ticks, backOff.Ticks * 2));
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_client is not null && _leaseId != 0)
        {
            try
            {
                await _client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = _leaseId }, deadline: Deadline(), cancellationToken: cancellationToken);
                logger.LogInformation("Revoked lease {Lease}: {Key} is gone", _leaseId, Key());
            }
            catch (Exception exception) when (exception is RpcException or OperationCanceledException)
            {
                logger.LogWarning("Could not revoke lease {Lease} ({Reason}); {Key} vanishes when it expires", _leaseId, exception.Message, Key());
            }
        }

        _client?.Dispose();
    }

    /// <summary>Puts this worker's key, with its current state, under <paramref name="leaseId"/>; returns the state it put.</summary>
    private async Task<string> RegisterAsync(EtcdClient client, long leaseId, CancellationToken cancellationToken)
    {
        await _publishing.WaitAsync(cancellationToken);
        try
        {
            var state = _state;
            await client.PutAsync(
                new PutRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8(Key()), Value = Google.Protobuf.ByteString.CopyFromUtf8(Info(state).ToJson()), Lease = leaseId },
                deadline: Deadline(),
                cancellationToken: cancellationToken);
            _leaseId = leaseId;
            _stale = state != _state;
            return state;
        }
        finally
        {
            _publishing.Release();
        }
    }

    /// <summary>
    /// Puts the current state under the current lease; one put at a time, and each puts the state of its own moment, so
    /// the last to finish is the latest. If etcd does not answer, the state stays stale and is put again later.
    /// </summary>
    private async Task PublishStateAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _publishing.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            _stale = true;
            return;
        }

        var state = _state;
        try
        {
            if (_client is not { } client || _leaseId == 0)
            {
                _stale = true; // the next registration puts it
                return;
            }

            await client.PutAsync(
                new PutRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8(Key()), Value = Google.Protobuf.ByteString.CopyFromUtf8(Info(state).ToJson()), Lease = _leaseId },
                deadline: Deadline(),
                cancellationToken: cancellationToken);
            _stale = state != _state;
        }
        catch (Exception exception) when (exception is RpcException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            _stale = true;
            logger.LogWarning("Could not publish state {State} ({Reason}); it is published again when etcd answers", state, exception.Message);
        }
        finally
        {
            _publishing.Release();
        }
    }

    /// <summary>
    /// Keeps the lease alive until the keep-alive ends; meanwhile puts the state again every second while the last put
    /// of it failed (etcd was away, and the lease outlived the outage).
    /// </summary>
    private async Task KeepAliveAsync(EtcdClient client, long leaseId, CancellationToken stoppingToken)
    {
        using var keeping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var republishing = RepublishStaleStateAsync(keeping.Token);
        try
        {
            await client.LeaseKeepAlive(leaseId, stoppingToken);
        }
        finally
        {
            await keeping.CancelAsync();
            await republishing;
        }
    }

    private async Task RepublishStaleStateAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (_stale)
                {
                    await PublishStateAsync(cancellationToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The keep-alive ended: the next registration puts the state.
        }
    }

    private string Key() => WorkerInfo.Key(options.Prefix, identity.Id);

    private WorkerInfo Info(string state) => new(
        identity.Id,
        identity.Address,
        typeof(Scenario).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0",
        Environment.ProcessorCount,
        options.Labels,
        state) { Protocol = ProtocolVersion.Current };

    private static DateTime Deadline() => DateTime.UtcNow + CallDeadline;
}
