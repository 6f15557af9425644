using System.Diagnostics;
using System.Globalization;

namespace LoadKit.Worker.Tests;

/// <summary>Signals to processes a test started.</summary>
internal static class Signals
{
    /// <summary>Sends a signal (STOP, CONT) to a process this test started, by its PID.</summary>
    public static void Send(int processId, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", processId.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.That(kill.ExitCode, Is.Zero, $"kill -{signal} {processId}");
    }
}
