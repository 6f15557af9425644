using System.Diagnostics;
using System.Runtime.InteropServices;

namespace LoadKit.Engine;

/// <summary>
/// Sleeps the calling thread until a <see cref="Stopwatch"/> timestamp, without spinning. On 64-bit Linux, where
/// Stopwatch counts CLOCK_MONOTONIC nanoseconds, it is one <c>clock_nanosleep</c> to that instant (late by the kernel's
/// timer slack, 50 µs unless <see cref="TightenTimerSlack"/> lowered it); elsewhere <c>Thread.Sleep</c> in whole
/// milliseconds, which can wake up to about a millisecond late.
/// </summary>
internal static class PreciseWait
{
    private const int ClockMonotonic = 1;
    private const int TimerAbsolute = 1;
    private const int SetTimerSlack = 29; // PR_SET_TIMERSLACK
    private const int Interrupted = 4; // EINTR

    /// <summary>Whether waits are to the nanosecond (clock_nanosleep on Stopwatch's own clock).</summary>
    public static readonly bool Exact = OperatingSystem.IsLinux() && IntPtr.Size == 8 && Stopwatch.Frequency == 1_000_000_000 && Probe();

    /// <summary>Sleeps until <paramref name="timestamp"/> (a <see cref="Stopwatch.GetTimestamp"/> value); returns at once when it has passed.</summary>
    public static void Until(long timestamp)
    {
        if (Exact)
        {
            var until = new TimeSpec(timestamp / 1_000_000_000, timestamp % 1_000_000_000);
            while (ClockNanosleep(ClockMonotonic, TimerAbsolute, in until, IntPtr.Zero) == Interrupted)
            {
            }

            return;
        }

        var left = timestamp - Stopwatch.GetTimestamp();
        if (left > 0)
        {
            Thread.Sleep((int)Math.Clamp((left * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency, 1, int.MaxValue));
        }
    }

    /// <summary>
    /// Lets the kernel wake the calling thread at most a microsecond late instead of 50 µs (its timer slack; Linux,
    /// this thread only). For a thread of LoadKit's own whose wake-ups are a schedule.
    /// </summary>
    public static void TightenTimerSlack()
    {
        if (Exact)
        {
            _ = Prctl(SetTimerSlack, 1_000, 0, 0, 0);
        }
    }

    /// <summary>Whether clock_nanosleep is there and CLOCK_MONOTONIC is the clock Stopwatch reads.</summary>
    private static bool Probe()
    {
        try
        {
            var before = Stopwatch.GetTimestamp();
            if (ClockGetTime(ClockMonotonic, out var now) != 0)
            {
                return false;
            }

            var after = Stopwatch.GetTimestamp();
            var monotonic = now.Seconds * 1_000_000_000 + now.Nanoseconds;
            var past = new TimeSpec(0, 0);
            return monotonic >= before && monotonic <= after && ClockNanosleep(ClockMonotonic, TimerAbsolute, in past, IntPtr.Zero) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Returns 0 or an error number (not -1 and errno).</summary>
    [DllImport("libc", EntryPoint = "clock_nanosleep")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int ClockNanosleep(int clock, int flags, in TimeSpec request, IntPtr remaining);

    [DllImport("libc", EntryPoint = "clock_gettime")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    [DllImport("libc", EntryPoint = "prctl")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Prctl(int option, ulong argument2, ulong argument3, ulong argument4, ulong argument5);

    /// <summary>struct timespec on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct TimeSpec(long Seconds, long Nanoseconds);
}
