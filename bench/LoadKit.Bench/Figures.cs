using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace LoadKit.Bench;

/// <summary>
/// Prints one machine-readable line, <c>BENCH key=value ...</c> (invariant culture, no spaces in values), which
/// bench/report.py parses. Human-readable output goes before it.
/// </summary>
internal sealed class Figures
{
    private readonly StringBuilder _line = new("BENCH");

    public Figures Add(string key, double value) => Add(key, value.ToString("0.###", CultureInfo.InvariantCulture));

    public Figures Add(string key, long value) => Add(key, value.ToString(CultureInfo.InvariantCulture));

    public Figures Add(string key, string value)
    {
        _line.Append(' ').Append(key).Append('=').Append(value.Replace(' ', '_'));
        return this;
    }

    public Figures AddMilliseconds(string key, TimeSpan value) => Add(key, value.TotalMilliseconds);

    /// <summary>This process's CPU time so far (user + system), peak resident set, and the methods the JIT compiled and its time (part of the CPU).</summary>
    public Figures AddProcess()
    {
        using var self = Process.GetCurrentProcess();
        return Add("process_cpu_s", self.TotalProcessorTime.TotalSeconds).Add("process_peak_rss_mib", self.PeakWorkingSet64 / 1048576.0)
            .Add("jitted_methods", System.Runtime.JitInfo.GetCompiledMethodCount()).AddMilliseconds("jit_ms", System.Runtime.JitInfo.GetCompilationTime());
    }

    public void Print() => Console.WriteLine(_line.ToString());
}
