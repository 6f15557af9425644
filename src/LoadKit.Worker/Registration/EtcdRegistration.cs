using System.Reflection;
using dotnet_etcd;
using Etcdserverpb;
using Grpc.Core;
using LoadKit.Cluster;
using LoadKit.Worker.Service;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace LoadKit.Worker.Registration;

/// <summary>
/// Keeps this worker registered in etcd: a key under a lease it keeps alive. If etcd does not answer, it says which
/// endpoint it tried and tries again with back-off; when the keep-alive breaks it registers anew. On stop it revokes
/// the lease, so the key vanishes at once rather than after the lease's TTL.
/// </summary>
internal sealed class EtcdRegistration(
    WorkerOptions options, WorkerIdentity identity, IServer server, IHostApplicationLifetime lifetime, ILogger<EtcdRegistration> logger)
    : BackgroundService
{
    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan MaxBackOff = TimeSpan.FromSeconds(5);
    private long _leaseId;
    private EtcdClient? _client;
    private string _state = WorkerInfo.Idle;
    private CancellationTokenSource _registered = new();

    /// <summary>
    /// Cancelled when the current registration ends (the keep-alive broke or etcd stopped answering): a run that
    /// started under it stops, because the controller may already count this worker as lost.
    /// </summary>
    public CancellationToken Registered => Volatile.Read(ref _registered).Token;

    /// <summary>Publishes <c>idle</c> or <c>busy</c> under the current lease (kept for the next registration too).</summary>
    public async Task SetStateAsync(string state, CancellationToken cancellationToken)
    {
        _state = state;
        if (_client is { } client && _leaseId != 0)
        {
            try
            {
                await client.PutAsync(
                    new PutRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8(Key()), Value = Google.Protobuf.ByteString.CopyFromUtf8(Info().ToJson()), Lease = _leaseId },
                    deadline: Deadline(),
                    cancellationToken: cancellationToken);
            }
            catch (Exception exception) when (exception is RpcException or OperationCanceledException)
            {
                logger.LogWarning("Could not publish state {State} ({Reason})", state, exception.Message);
            }
        }
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
                _client = new EtcdClient(endpoint.ToString().TrimEnd('/'), configureChannelOptions: o => o.Credentials = ChannelCredentials.Insecure);
                var lease = await _client.LeaseGrantAsync(new LeaseGrantRequest { TTL = options.LeaseSeconds }, deadline: Deadline(), cancellationToken: stoppingToken);
                _leaseId = lease.ID;
                await _client.PutAsync(
                    new PutRequest { Key = Google.Protobuf.ByteString.CopyFromUtf8(Key()), Value = Google.Protobuf.ByteString.CopyFromUtf8(Info().ToJson()), Lease = lease.ID },
                    deadline: Deadline(),
                    cancellationToken: stoppingToken);
                logger.LogInformation("Registered {Key} at {Endpoint} (lease {Lease}, {Ttl} s)", Key(), endpoint, lease.ID, options.LeaseSeconds);
                backOff = TimeSpan.FromMilliseconds(200);
                Volatile.Write(ref _registered, new CancellationTokenSource());
                try
                {
                    await _client.LeaseKeepAlive(lease.ID, stoppingToken);
                }
                finally
                {
                    await _registered.CancelAsync();
                }

                logger.LogWarning("Keep-alive of lease {Lease} at {Endpoint} ended; registering again", lease.ID, endpoint);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // Any failure (the keep-alive stream also surfaces IO and protocol errors when etcd dies) means: try
                // again. Letting it escape would stop the whole worker.
                logger.LogWarning("etcd at {Endpoint} did not answer ({Reason}); trying again in {Delay} ms",
                    endpoint, exception is RpcException rpc ? rpc.Status.StatusCode.ToString() : exception.GetType().Name, (int)backOff.TotalMilliseconds);
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

    private string Key() => WorkerInfo.Key(options.Prefix, identity.Id);

    private WorkerInfo Info() => new(
        identity.Id,
        identity.Address,
        typeof(Scenario).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0",
        Environment.ProcessorCount,
        options.Labels,
        _state) { Protocol = ProtocolVersion.Current };

    private static DateTime Deadline() => DateTime.UtcNow + CallDeadline;
}
