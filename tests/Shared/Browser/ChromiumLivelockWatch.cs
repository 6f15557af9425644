using System.Globalization;
using System.Runtime.InteropServices;

namespace LoadKit.TestTargets;

/// <summary>
/// A kernel livelock on this project's CI machines: an exiting Chromium process spins in the kernel
/// (<c>shrink_dcache_parent</c>, <c>d_walk</c>, a spin lock; about 92 % of a CPU, deaf to SIGKILL) for minutes, and the
/// browser tests that wait for it fail. Seen 2026-12-05 in two CI runs and one local run. Moving the spinning thread to
/// another CPU ended it at once, each of the three times. This watch does that for the Chromium processes of this test
/// run (they carry <see cref="Variable"/> in their environment: the worker processes, Playwright's driver and Chromium
/// pass it on) and writes what it did to the test output. It stops nothing.
/// </summary>
internal sealed class ChromiumLivelockWatch : IDisposable
{
    /// <summary>Set in this process, and so in every process it starts after the watch.</summary>
    public const string Variable = "LOADKIT_TESTS_CHROMIUM_WATCH";

    /// <summary>System time, as a share of the time between two looks, that counts as spinning.</summary>
    private const double Spinning = 0.8;

    private const long TicksPerSecond = 100; // USER_HZ, the unit of /proc's times

    private readonly string _entry;
    private readonly Action<string> _log;
    private readonly Timer _timer;
    private readonly Lock _looking = new();
    private readonly Dictionary<int, (long SystemTicks, int Spins)> _threads = [];
    private DateTime _lastLook = DateTime.UtcNow;

    private ChromiumLivelockWatch(Action<string> log)
    {
        // A second watch in the process (a test of the watch) looks for the same processes.
        var mark = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } set ? set : $"{Environment.ProcessId}-{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(Variable, mark);
        _entry = $"{Variable}={mark}";
        _log = log;
        _timer = new Timer(_ => Look(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>Watches from now (on Linux with more than one CPU; elsewhere it does nothing).</summary>
    public static ChromiumLivelockWatch? Start(Action<string> log) =>
        OperatingSystem.IsLinux() && Environment.ProcessorCount > 1 ? new ChromiumLivelockWatch(log) : null;

    public void Dispose() => _timer.Dispose();

    private void Look()
    {
        if (!_looking.TryEnter())
        {
            return;
        }

        try
        {
            var now = DateTime.UtcNow;
            var seconds = (now - _lastLook).TotalSeconds;
            _lastLook = now;
            foreach (var process in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(process), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && IsOurChromium(pid))
                {
                    LookAtThreads(pid, seconds);
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // /proc changed under the look: the next one sees it anew.
        }
        finally
        {
            _looking.Exit();
        }
    }

    private bool IsOurChromium(int pid) =>
        Read($"/proc/{pid}/comm") is { } name && name.Trim() == "chromium"
        && Read($"/proc/{pid}/environ") is { } environment && environment.Split('\0').Contains(_entry, StringComparer.Ordinal);

    private void LookAtThreads(int pid, double seconds)
    {
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            if (!int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out var tid) || Read($"{task}/stat") is not { } stat)
            {
                continue;
            }

            // After "pid (name) ": state, then fields 4 on; system time is field 15, the CPU it last ran on field 39.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var systemTicks = long.Parse(fields[12], CultureInfo.InvariantCulture);
            var cpu = int.Parse(fields[36], CultureInfo.InvariantCulture);
            var spins = 0;
            if (_threads.TryGetValue(tid, out var last) && (systemTicks - last.SystemTicks) / (double)TicksPerSecond >= Spinning * seconds)
            {
                spins = last.Spins + 1;
            }

            // Two looks in a row: a livelock lasts minutes, a busy thread's system time rarely two seconds.
            if (spins >= 2 && MoveOff(tid, cpu))
            {
                _log($"ChromiumLivelockWatch: Chromium thread {tid} of process {pid} spent {Spinning:P0} or more of the last {spins} s in the kernel on CPU {cpu}; moved it to the others (the livelock this watch is for).");
                spins = 0;
            }

            _threads[tid] = (systemTicks, spins);
        }
    }

    /// <summary>Lets the thread run on every CPU but <paramref name="cpu"/> (the first 64).</summary>
    private static bool MoveOff(int tid, int cpu)
    {
        var mask = (Environment.ProcessorCount >= 64 ? ulong.MaxValue : (1UL << Environment.ProcessorCount) - 1) & ~(1UL << cpu);
        return mask != 0 && SchedSetAffinity(tid, sizeof(ulong), in mask) == 0;
    }

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "sched_setaffinity")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SchedSetAffinity(int tid, nint size, in ulong mask);
}
