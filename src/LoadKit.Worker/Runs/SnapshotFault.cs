using System.Globalization;
using LoadKit.Cluster.Protocol;

namespace LoadKit.Worker.Runs;

/// <summary>
/// A test hook, off unless the worker's own environment sets <see cref="Variable"/>: <c>json:N</c> makes the Nth
/// snapshot of each run unreadable (its first histogram cut in half, or with none, a nameless scenario; the name is
/// from when snapshots were JSON), <c>sequence:N</c> numbers it one too high, so a test can see the controller count a
/// malformed snapshot as a loss (WorkerLossTests). Nothing else reads it.
/// </summary>
internal sealed record SnapshotFault(bool Json, long Sequence)
{
    public const string Variable = "LOADKIT_TEST_BAD_SNAPSHOT";

    /// <summary>The fault the environment asks for; null: none.</summary>
    /// <exception cref="ArgumentException">The variable is set to something else.</exception>
    public static SnapshotFault? FromEnvironment() => Environment.GetEnvironmentVariable(Variable) switch
    {
        null or "" => null,
        var value when value.Split(':') is [var kind and ("json" or "sequence"), var n]
            && long.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) && sequence > 0
            => new SnapshotFault(kind == "json", sequence),
        var value => throw new ArgumentException($"{Variable} = '{value}': allowed json:N or sequence:N (a snapshot number from 1), or unset."),
    };

    /// <summary>Spoils <paramref name="update"/> if it is the snapshot this fault names.</summary>
    public RunUpdate Apply(RunUpdate update)
    {
        if (update.Snapshot.Sequence == Sequence)
        {
            if (Json)
            {
                Spoil(update.Snapshot.Interval);
            }
            else
            {
                update.Snapshot.Sequence++;
            }
        }

        return update;
    }

    private static void Spoil(ShareInterval interval)
    {
        var latency = interval.Scenarios
            .SelectMany(s => s.Steps.Append(s.Iterations))
            .SelectMany(s => new[] { s.Latency, s.FailedLatency }.Concat(s.Timeline.Select(p => p.Latency)))
            .FirstOrDefault(l => l is { Histogram.Length: > 0 });
        if (latency is null)
        {
            interval.Scenarios.Add(new ScenarioInterval());
            return;
        }

        latency.Histogram = Google.Protobuf.ByteString.CopyFrom(latency.Histogram.Span[..(latency.Histogram.Length / 2)]);
    }
}
