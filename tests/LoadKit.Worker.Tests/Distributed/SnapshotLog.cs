using System.Text.RegularExpressions;
using LoadKit.TestTargets;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>
/// Workers that log each snapshot's iteration progress, so a test can wait for a snapshot that counted iterations
/// before it kills a worker (a starved worker's first snapshot may come before its first iteration).
/// </summary>
internal static class SnapshotLog
{
    /// <summary>The worker environment that turns the log on.</summary>
    public static IReadOnlyDictionary<string, string> Environment { get; } =
        new Dictionary<string, string> { ["Logging__LogLevel__LoadKit.Worker.Runs.RunHost"] = "Debug" };

    /// <summary>
    /// Waits until the worker has sent a snapshot that counts iterations of <paramref name="scenario"/>'s block 0: of
    /// its own segment, or with <paramref name="takenOver"/>, of a part it took over.
    /// </summary>
    public static Task WaitForProgressAsync(WorkerProcess worker, string scenario, TimeSpan timeout, bool takenOver = false)
    {
        var pattern = new Regex(
            $@"snapshot \d+ sent; iteration-counted blocks: {(takenOver ? @".*take-over \d+ " : "")}'{Regex.Escape(scenario)}' block 0, [1-9]\d* completed");
        return Eventually.UntilAsync(
            () => pattern.IsMatch(worker.Output), timeout, () => $"the worker reported no progress. Its output:{System.Environment.NewLine}{worker.Output}");
    }
}
