using System.Diagnostics;

namespace LoadKit.Stats;

/// <summary>
/// The VUs running now, shared by a scenario's warm-up and measured statistics, with the peak of each part: a VU
/// that starts (or is still running at a tick) before the measured part begins counts toward the warm-up's peak.
/// </summary>
internal sealed class ActiveUsers
{
    private int _current;
    private int _peakWarmUp;
    private int _peakMeasured;
    private long _measuredStart;
    private long _firstCall;

    public int Current => Volatile.Read(ref _current);

    public int PeakWarmUp => Volatile.Read(ref _peakWarmUp);

    public int PeakMeasured => Volatile.Read(ref _peakMeasured);

    /// <summary>The <see cref="Stopwatch"/> timestamp at which the measured part began (0: not yet).</summary>
    public long MeasuredStart => Interlocked.Read(ref _measuredStart);

    /// <summary>The <see cref="Stopwatch"/> timestamp at which the first call of any VU began (0: none yet).</summary>
    public long FirstCall => Interlocked.Read(ref _firstCall);

    /// <summary>Notes a VU's first call; the earliest is kept (VUs race to note theirs).</summary>
    public void NoteFirstCall(long timestamp)
    {
        long seen;
        while (((seen = Interlocked.Read(ref _firstCall)) == 0 || timestamp < seen) && Interlocked.CompareExchange(ref _firstCall, timestamp, seen) != seen)
        {
        }
    }

    /// <summary>Notes when the measured part begins; the first call wins.</summary>
    public void MeasuredStartsAt(long timestamp) => Interlocked.CompareExchange(ref _measuredStart, timestamp, 0);

    public void Started() => NotePeak(Interlocked.Increment(ref _current));

    public void Stopped() => Interlocked.Decrement(ref _current);

    /// <summary>Counts VUs that carry on from the warm-up into the measured part without starting again.</summary>
    public void Sample() => NotePeak(Current);

    private void NotePeak(int active)
    {
        var measuredStart = MeasuredStart;
        ref var peak = ref measuredStart != 0 && Stopwatch.GetTimestamp() >= measuredStart ? ref _peakMeasured : ref _peakWarmUp;
        int seen;
        while (active > (seen = Volatile.Read(ref peak)) && Interlocked.CompareExchange(ref peak, active, seen) != seen)
        {
        }
    }
}
