using System.Globalization;
using LoadKit.Display;

namespace LoadKit.Results;

/// <summary>
/// What a result shows that a reader of its tables could miss: a step that fails the same way from its start (a
/// misconfiguration, usually), and seconds in which a closed model's load paused because the system stalled.
/// </summary>
internal static class RunFindings
{
    /// <summary>How many of a step's first seconds are looked at for failures from the start.</summary>
    public const int FirstSeconds = 3;

    /// <summary>The steps of <paramref name="scenario"/> whose every call in their first seconds failed, all with one error.</summary>
    public static IEnumerable<FailingStart> FailingFromTheStart(ScenarioResult scenario)
    {
        foreach (var step in scenario.Steps)
        {
            // One error over the whole step so far: every failure of its first seconds had it.
            if (step.Timeline.Count == 0 || step.Errors.Count != 1)
            {
                continue;
            }

            var first = step.Timeline[0].Second;
            var window = step.Timeline.TakeWhile(p => p.Second < first + FirstSeconds).ToArray();
            var calls = window.Sum(p => p.Failed);
            if (calls == 0 || window.Any(p => p.Ok > 0 || p.TimedOut > 0))
            {
                continue;
            }

            yield return new FailingStart(step.Name, calls, window[^1].Second - first + 1, step.Errors[0].Message);
        }
    }

    /// <summary>
    /// Runs of seconds in which no call of any step completed while VUs were active, ended by calls that took at least
    /// as long as the run of seconds: they were waiting all along (a pause in think time ends with quick calls).
    /// </summary>
    public static IEnumerable<Stall> Stalls(ScenarioResult scenario)
    {
        var completed = new Dictionary<int, long>();
        var slowest = new Dictionary<int, TimeSpan>();
        foreach (var point in scenario.Steps.SelectMany(s => s.Timeline))
        {
            completed[point.Second] = completed.GetValueOrDefault(point.Second) + point.Ok + point.Failed + point.TimedOut;
            if (point.Latency.Count > 0 && point.Latency.Max > slowest.GetValueOrDefault(point.Second))
            {
                slowest[point.Second] = point.Latency.Max;
            }
        }

        var active = scenario.Timeline.ToDictionary(p => p.Second, p => p.ActiveUsers);
        var last = completed.Keys.Concat(active.Keys).DefaultIfEmpty(-1).Max();
        int? gapFrom = null;
        for (var second = 0; second <= last; second++)
        {
            var done = completed.GetValueOrDefault(second);
            if (done == 0 && active.GetValueOrDefault(second) > 0)
            {
                gapFrom ??= second;
                continue;
            }

            if (gapFrom is { } from && done > 0 && slowest.GetValueOrDefault(second) >= TimeSpan.FromSeconds(second - from))
            {
                yield return new Stall(from, second - from, slowest[second], active.GetValueOrDefault(from));
            }

            gapFrom = null;
        }
    }

    /// <summary>A step whose every call of its first <paramref name="Seconds"/> failed with <paramref name="Error"/>.</summary>
    public readonly record struct FailingStart(string Step, long Calls, int Seconds, string Error)
    {
        /// <summary>For the progress line: short.</summary>
        public string Brief => $"all {Format.Count(Calls)} calls of '{Step}' failed in the first {Seconds} s with: {Shorten(Error, 100)}";

        /// <summary>For the result's notes.</summary>
        public string Note(string scenario) =>
            $"All {Format.Count(Calls)} calls of step '{Step}' of scenario '{scenario}' failed in the first {Seconds} s with: {Error}. " +
            "A step that fails the same way from its start is usually misconfigured (its address, port or credentials), not overloaded.";
    }

    /// <summary>No call completed from second <paramref name="FromSecond"/> for <paramref name="Seconds"/> seconds; the calls that ended it took up to <paramref name="Longest"/>.</summary>
    public readonly record struct Stall(int FromSecond, int Seconds, TimeSpan Longest, int Users)
    {
        public string Note(string scenario) =>
            $"Scenario '{scenario}': no call completed in {(Seconds == 1 ? $"second {FromSecond}" : $"seconds {FromSecond}-{FromSecond + Seconds - 1}")} " +
            $"while {Format.Count(Users)} VUs were active, and the calls that ended the pause took up to {Format.Duration(Longest)}: " +
            $"the system stalled for {Longest.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s; in a closed model the load paused with it: " +
            "latency percentiles understate it; an arrival-rate model would show it.";
    }

    private static string Shorten(string text, int length) => text.Length <= length ? text : string.Concat(text.AsSpan(0, length - 1), "…");
}
