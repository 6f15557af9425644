using Grpc.Core;
using LoadKit.Distributed.Protocol;

namespace LoadKit.Worker.Service;

/// <summary>The worker's gRPC service.</summary>
internal sealed class WorkerService(WorkerIdentity identity, WorkerClock clock) : LoadKit.Distributed.Protocol.Worker.WorkerBase
{
    public override Task<PingReply> Ping(PingRequest request, ServerCallContext context) =>
        Task.FromResult(new PingReply { WorkerUtcTicks = clock.UtcNow.Ticks, WorkerId = identity.Id });
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
