using Grpc.Core;
using LoadKit.Cluster.Protocol;
using LoadKit.Worker.Runs;

namespace LoadKit.Worker.Service;

/// <summary>The worker's gRPC service.</summary>
internal sealed class WorkerService(WorkerIdentity identity, WorkerClock clock, ArtifactStore artifacts, RunHost runs) : LoadKit.Cluster.Protocol.Worker.WorkerBase
{
    public override Task<PingReply> Ping(PingRequest request, ServerCallContext context) =>
        Task.FromResult(new PingReply { WorkerUtcTicks = clock.UtcNow.Ticks, WorkerId = identity.Id });

    public override async Task Clock(IAsyncStreamReader<PingRequest> requestStream, IServerStreamWriter<PingReply> responseStream, ServerCallContext context)
    {
        try
        {
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                await responseStream.WriteAsync(new PingReply { WorkerUtcTicks = clock.UtcNow.Ticks, WorkerId = identity.Id }, context.CancellationToken);
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException)
        {
            // The controller reset or cancelled the exchange (it gave up, or it is gone): a normal end for a clock, not an error.
        }
    }

    public override Task<ArtifactPresence> HasArtifact(ArtifactQuery request, ServerCallContext context) =>
        Task.FromResult(new ArtifactPresence { Present = artifacts.Has(request.Sha256) });

    public override Task<UploadReply> Upload(IAsyncStreamReader<ArtifactChunk> requestStream, ServerCallContext context) =>
        artifacts.ReceiveAsync(requestStream, context.CancellationToken);

    public override Task Run(IAsyncStreamReader<RunCommand> requestStream, IServerStreamWriter<RunUpdate> responseStream, ServerCallContext context) =>
        runs.RunAsync(requestStream, responseStream, context);
}

/// <summary>Who this worker is: its id, and the address it registered.</summary>
internal sealed class WorkerIdentity
{
    public string Id { get; } = $"{Environment.MachineName.ToLowerInvariant()}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Set once Kestrel has bound its port.</summary>
    public string Address { get; set; } = "";
}

/// <summary>The worker's wall clock, shifted by the test-only offset.</summary>
internal sealed class WorkerClock(WorkerOptions options)
{
    public DateTime UtcNow => DateTime.UtcNow + options.ClockOffset;
}
