using System.Runtime.InteropServices;

namespace LoadKit.Engine;

/// <summary>
/// What the calling thread has used so far: CPU time and the times it blocked (voluntary context switches), from
/// <c>getrusage(RUSAGE_THREAD)</c> on 64-bit Linux; <see cref="Known"/> is false elsewhere. Tells a start that took
/// long because it blocked or computed from one whose thread was only preempted by another.
/// </summary>
internal readonly record struct ThreadUsage(bool Known, long CpuMicroseconds, long Blocked)
{
    private const int RusageThread = 1;
    private static readonly bool Available = OperatingSystem.IsLinux() && IntPtr.Size == 8 && Probe();

    public static ThreadUsage Now()
    {
        if (!Available || GetRusage(RusageThread, out var usage) != 0)
        {
            return default;
        }

        return new(true, (usage.UserSeconds + usage.SystemSeconds) * 1_000_000 + usage.UserMicroseconds + usage.SystemMicroseconds, usage.VoluntarySwitches);
    }

    private static bool Probe()
    {
        try
        {
            return GetRusage(RusageThread, out _) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "getrusage")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetRusage(int who, out Rusage usage);

    /// <summary>struct rusage on 64-bit Linux (144 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        public long MaxResident;
        public long SharedMemory;
        public long UnsharedData;
        public long UnsharedStack;
        public long MinorFaults;
        public long MajorFaults;
        public long Swaps;
        public long BlockInputs;
        public long BlockOutputs;
        public long MessagesSent;
        public long MessagesReceived;
        public long Signals;
        public long VoluntarySwitches;
        public long InvoluntarySwitches;
    }
}
