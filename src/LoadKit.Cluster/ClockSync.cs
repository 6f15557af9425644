using Grpc.Core;
using LoadKit.Cluster.Protocol;

namespace LoadKit.Cluster;

/// <summary>A worker's clock against the controller's: worker time minus controller time, from the fastest ping.</summary>
/// <param name="Offset">Add to a controller instant to get the same instant on the worker's clock.</param>
/// <param name="RoundTrip">The round trip of the ping the offset comes from; the offset is known to within half of it.</param>
internal readonly record struct ClockEstimate(TimeSpan Offset, TimeSpan RoundTrip);

/// <summary>
/// NTP-style offset estimation: ping several times on one stream, note the controller's clock before and after each reply, and
/// trust the sample with the shortest round trip (its reply was least delayed, so the midpoint is most exact).
/// </summary>
internal static class ClockSync
{
    public const int DefaultRounds = 32;

    public static async Task<ClockEstimate> EstimateAsync(Worker.WorkerClient worker, Metadata headers, int rounds, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        ClockEstimate? best = null;
        using var call = worker.Clock(headers, cancellationToken: cancellationToken);
        for (var round = 0; round < rounds; round++)
        {
            var sent = DateTime.UtcNow;
            await call.RequestStream.WriteAsync(new PingRequest(), cancellationToken).ConfigureAwait(false);
            if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "The worker ended the clock exchange early."));
            }

            var received = DateTime.UtcNow;
            var roundTrip = received - sent;
            var offset = new DateTime(call.ResponseStream.Current.WorkerUtcTicks, DateTimeKind.Utc) - (sent + (roundTrip / 2));
            if (best is null || roundTrip < best.Value.RoundTrip)
            {
                best = new ClockEstimate(offset, roundTrip);
            }
        }

        // Waits for the worker's end of the exchange: disposing the call before it would reset the stream, which the
        // worker logs with a stack trace although nothing went wrong.
        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
        }

        return best!.Value;
    }
}
