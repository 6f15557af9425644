using System.Diagnostics;

namespace LoadKit.Health;

/// <summary>
/// Samples this process's health once a second on a thread of its own (so a starved thread pool cannot delay it):
/// CPU, working set, GC counts and pause time, thread-pool queue. A sample allocates only itself. Dispose or
/// <see cref="Stop"/> ends the thread; the run that started it stops it.
/// </summary>
internal sealed class HealthSampler : IDisposable
{
    /// <summary>A last, partial second shorter than this is not sampled: its CPU ratio would be noise.</summary>
    private static readonly TimeSpan ShortestLastSample = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a prepared sampler waits for its start (a worker waits 2 minutes for its Start command).</summary>
    private static readonly TimeSpan PreparedFor = TimeSpan.FromMinutes(10);

    private readonly string _process;
    private readonly int _cores = Environment.ProcessorCount;
    private readonly List<HealthSample> _samples;
    private readonly Lock _gate = new();
    private readonly ManualResetEventSlim _stop = new();
    private readonly ManualResetEventSlim _started = new();
    private long _origin;
    private readonly WorkingSet _workingSet = new();
    private Thread? _thread;
    private int _second;
    private long _lastTimestamp;
    private TimeSpan _lastCpu;
    private int _lastGen0;
    private int _lastGen1;
    private int _lastGen2;
    private TimeSpan _lastPause;
    private bool _stopped;
    private IDisposable? _published;

    /// <summary>A sampler whose second 0 is not known yet: <see cref="Prepare"/> it, then <see cref="StartAt"/> the origin.</summary>
    /// <param name="process">The process's name in the result.</param>
    /// <param name="expectedDuration">The run's planned length, to size the sample list once.</param>
    public HealthSampler(string process, TimeSpan expectedDuration)
    {
        _process = process;
        _samples = new List<HealthSample>((int)Math.Clamp(expectedDuration.TotalSeconds + 2, 4, 24 * 3600));
    }

    /// <summary>This process as a result names it: host name and process id.</summary>
    public static string ThisProcess => $"{Environment.MachineName} (pid {Environment.ProcessId})";

    /// <summary>Starts the sampling thread, which waits for <see cref="StartAt"/>: before a start instant, so that the instant does not pay for a new thread.</summary>
    public void Prepare()
    {
        if (_thread is null)
        {
            _thread = new Thread(Loop) { IsBackground = true, Name = "LoadKit health" };
            _thread.Start();
        }
    }

    /// <summary>Samples from <paramref name="origin"/> (the run's second 0, just passed): a few reads of counters, then the prepared thread goes on.</summary>
    public void StartAt(long origin)
    {
        Baseline(origin);
        _published ??= LoadKitMetrics.TrackCpu(_process, LatestCpu);
        _started.Set();
        Prepare();
    }

    /// <summary>Ends sampling (with a last sample for the partial second, when long enough) and returns every sample.</summary>
    public GeneratorHealth Stop()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return Since(0);
            }

            _stopped = true;
        }

        _published?.Dispose();
        _stop.Set();
        _thread?.Join();
        lock (_gate)
        {
            if (_started.IsSet && Stopwatch.GetElapsedTime(_lastTimestamp) >= ShortestLastSample)
            {
                Sample();
            }
        }

        return Since(0);
    }

    /// <summary>The samples from index <paramref name="from"/> on (a worker sends only the ones it has not sent).</summary>
    public GeneratorHealth Since(int from)
    {
        lock (_gate)
        {
            return new GeneratorHealth(_process, _cores, _samples.Count > from ? _samples.GetRange(from, _samples.Count - from) : []);
        }
    }

    /// <summary>The sample of <paramref name="second"/>, else the latest one; null before the first (a live view's health of a second).</summary>
    public HealthSample? At(int second)
    {
        lock (_gate)
        {
            // Looks back a few samples only: a live view asks for a recent second.
            for (var i = _samples.Count - 1; i >= 0 && i >= _samples.Count - 4; i--)
            {
                if (_samples[i].Second == second)
                {
                    return _samples[i];
                }
            }

            return _samples.Count > 0 ? _samples[^1] : null;
        }
    }

    /// <summary>The CPU figure of the latest sample; null before the first.</summary>
    private double? LatestCpu()
    {
        lock (_gate)
        {
            return _samples.Count == 0 ? null : _samples[^1].CpuPercent;
        }
    }

    /// <summary>Whether the sampling thread runs.</summary>
    internal bool IsSampling => _thread?.IsAlive == true;

    /// <summary>How many samples there are so far.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _samples.Count;
            }
        }
    }

    /// <summary>Takes one sample of the time since the last. Internal for the allocation test.</summary>
    internal void Sample()
    {
        var now = Stopwatch.GetTimestamp();
        var cpu = Environment.CpuUsage.TotalTime;
        var (gen0, gen1, gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var pause = GC.GetTotalPauseDuration();
        var wall = Stopwatch.GetElapsedTime(_lastTimestamp, now);
        var percent = wall > TimeSpan.Zero ? Math.Min(100, (cpu - _lastCpu) / wall / _cores * 100) : 0;
        _samples.Add(new HealthSample(_second, Math.Round(percent, 1), _workingSet.Read(), gen0 - _lastGen0, gen1 - _lastGen1, gen2 - _lastGen2,
            pause - _lastPause, ThreadPool.PendingWorkItemCount));
        (_lastTimestamp, _lastCpu, _lastGen0, _lastGen1, _lastGen2, _lastPause) = (now, cpu, gen0, gen1, gen2, pause);
        _second++;
    }

    public void Dispose()
    {
        Stop();
        _stop.Dispose();
        _started.Dispose();
        _workingSet.Dispose();
    }

    /// <summary>The counters a first sample's interval is measured from, read at second 0.</summary>
    private void Baseline(long origin)
    {
        _origin = origin;
        _lastTimestamp = origin;
        _lastCpu = Environment.CpuUsage.TotalTime;
        (_lastGen0, _lastGen1, _lastGen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        _lastPause = GC.GetTotalPauseDuration();
    }

    private void Loop()
    {
        // A prepared thread waits for the origin, or a stop before it; a run prepared and never started (its controller
        // went) leaves no thread behind for long.
        if (WaitHandle.WaitAny([_started.WaitHandle, _stop.WaitHandle], PreparedFor) != 0)
        {
            return;
        }

        // Ticks fall on the origin plus whole seconds; a late tick samples the longer interval it saw.
        while (!_stop.Wait(Until(_origin + ((_second + 1) * Stopwatch.Frequency))))
        {
            lock (_gate)
            {
                // The second that just ended by the clock: seconds a starved process missed have no sample.
                _second = Math.Max(_second, (int)Math.Round(Stopwatch.GetElapsedTime(_origin).TotalSeconds) - 1);
                Sample();
            }
        }
    }

    private static int Until(long timestamp) =>
        (int)Math.Max(0, Math.Ceiling((timestamp - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency));
}

/// <summary>
/// The process's working set. <see cref="Environment.WorkingSet"/> allocates a few kB per call on Linux (it goes
/// through <c>Process</c>), so on Linux the resident page count is read from <c>/proc/self/statm</c> into a buffer
/// kept for the purpose.
/// </summary>
internal sealed class WorkingSet : IDisposable
{
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle? _statm = Open();
    private readonly byte[] _buffer = new byte[256];

    public long Read()
    {
        if (_statm is null)
        {
            return Environment.WorkingSet;
        }

        // statm: size resident shared text lib data dt, in pages; the second field is the resident set.
        var length = RandomAccess.Read(_statm, _buffer, 0);
        var field = 0;
        long pages = 0;
        for (var i = 0; i < length; i++)
        {
            var c = _buffer[i];
            if (c == (byte)' ')
            {
                if (++field > 1)
                {
                    break;
                }
            }
            else if (field == 1 && c is >= (byte)'0' and <= (byte)'9')
            {
                pages = (pages * 10) + (c - '0');
            }
        }

        return pages * Environment.SystemPageSize;
    }

    public void Dispose() => _statm?.Dispose();

    private static Microsoft.Win32.SafeHandles.SafeFileHandle? Open()
    {
        try
        {
            return OperatingSystem.IsLinux() ? File.OpenHandle("/proc/self/statm") : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
