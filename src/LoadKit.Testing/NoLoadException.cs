namespace LoadKit.Testing;

/// <summary>
/// A run that produced no load: not one step call succeeded (the target is down, the address is wrong, every call
/// failed). NUnit reports it as an error, apart from a crossed threshold, because the run's figures say nothing about
/// the target. The message shows the most frequent errors; <see cref="Result"/> holds everything.
/// </summary>
public sealed class NoLoadException : Exception
{
    /// <summary>Creates the exception for <paramref name="result"/>, with the message that explains it.</summary>
    public NoLoadException(LoadResult result)
        : base(Explain(result ?? throw new ArgumentNullException(nameof(result))))
    {
        Result = result;
    }

    /// <summary>What the run measured.</summary>
    public LoadResult Result { get; }

    private static string Explain(LoadResult result)
    {
        var steps = result.Scenarios.SelectMany(s => s.Steps.Concat(s.Init is { } init ? [init] : [])).ToArray();
        var calls = steps.Sum(s => s.Completed);
        var errors = steps.SelectMany(s => s.Errors)
            .GroupBy(e => e.Message, StringComparer.Ordinal)
            .Select(g => (Message: g.Key, Count: g.Sum(e => e.Count)))
            .OrderByDescending(e => e.Count)
            .Take(3)
            .Select(e => $"{Environment.NewLine}  {e.Count:N0} × {e.Message}");
        return $"The run produced no load: none of its {calls:N0} step calls succeeded, so its thresholds and gates say " +
            $"nothing about the target. Is the target up, and is its address right ({HttpSettings.BaseAddressVariable} for HTTP steps)?" +
            (calls == 0 ? " No call completed." : $" The most frequent errors:{string.Concat(errors)}") +
            Environment.NewLine + Environment.NewLine + SummaryTable.Render(result);
    }
}
