using System.Text.Json.Serialization;

namespace LoadKit;

/// <summary>
/// How one load process (this process in a local run, a worker in a distributed one) fared while it generated load:
/// its CPU, memory, garbage collections and thread-pool queue, sampled every second. A generator near its CPU limit
/// measures its own queueing as the target's latency. Immutable.
/// </summary>
/// <param name="Process">Which process: the host name and process id, or in a distributed run the worker's id.</param>
/// <param name="Cores">The cores the process could use; <see cref="HealthSample.CpuPercent"/> is of all of them.</param>
/// <param name="Samples">One sample per second of the run, in order.</param>
public sealed record GeneratorHealth(string Process, int Cores, IReadOnlyList<HealthSample> Samples)
{
    /// <summary>Above this CPU use (in percent of all cores) the summaries warn that the generator may have been the bottleneck.</summary>
    public const double CpuWarningPercent = 90;

    /// <summary>The highest CPU use of any sample, in percent of all cores (0 without samples).</summary>
    [JsonIgnore]
    public double PeakCpuPercent => Samples.Count == 0 ? 0 : Samples.Max(s => s.CpuPercent);

    /// <summary>The mean CPU use over the samples, in percent of all cores (0 without samples).</summary>
    [JsonIgnore]
    public double MeanCpuPercent => Samples.Count == 0 ? 0 : Samples.Average(s => s.CpuPercent);

    /// <summary>The largest working set of any sample, in bytes.</summary>
    [JsonIgnore]
    public long PeakWorkingSetBytes => Samples.Count == 0 ? 0 : Samples.Max(s => s.WorkingSetBytes);

    /// <summary>The longest thread-pool queue of any sample.</summary>
    [JsonIgnore]
    public long PeakThreadPoolQueueLength => Samples.Count == 0 ? 0 : Samples.Max(s => s.ThreadPoolQueueLength);

    /// <summary>Garbage collections of generation 0, 1 and 2 over the samples.</summary>
    [JsonIgnore]
    public (long Gen0, long Gen1, long Gen2) Collections => (Samples.Sum(s => (long)s.Gen0Collections), Samples.Sum(s => (long)s.Gen1Collections), Samples.Sum(s => (long)s.Gen2Collections));

    /// <summary>How long the garbage collector paused the process over the samples.</summary>
    [JsonIgnore]
    public TimeSpan GcPause => TimeSpan.FromTicks(Samples.Sum(s => s.GcPause.Ticks));

    /// <summary>True when the CPU peaked above <see cref="CpuWarningPercent"/>: the generator, not the target, may have been the bottleneck.</summary>
    [JsonIgnore]
    public bool CpuSaturated => PeakCpuPercent > CpuWarningPercent;
}

/// <summary>One second of a load process's health. Immutable.</summary>
/// <param name="Second">The second of the run it covers, from 0 (the same numbering as the timelines).</param>
/// <param name="CpuPercent">Process CPU time over wall time over cores, in percent: 100 is every core busy.</param>
/// <param name="WorkingSetBytes">The working set at the end of the second.</param>
/// <param name="Gen0Collections">Generation 0 collections during the second.</param>
/// <param name="Gen1Collections">Generation 1 collections during the second.</param>
/// <param name="Gen2Collections">Generation 2 collections during the second.</param>
/// <param name="GcPause">How long the garbage collector paused the process during the second.</param>
/// <param name="ThreadPoolQueueLength">Work items waiting for a thread-pool thread at the end of the second.</param>
public sealed record HealthSample(
    int Second,
    double CpuPercent,
    long WorkingSetBytes,
    int Gen0Collections,
    int Gen1Collections,
    int Gen2Collections,
    TimeSpan GcPause,
    long ThreadPoolQueueLength);
