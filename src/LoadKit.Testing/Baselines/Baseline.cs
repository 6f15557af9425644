namespace LoadKit.Testing;

/// <summary>
/// An earlier result that regression gates compare a run with, e.g.
/// <c>result.Should().HaveStep("pay").WithPercentile(95).NotRegressedFrom(LoadTest.GetBaseline(), byMoreThan: 0.10)</c>.
/// A baseline may be absent (its file does not exist yet, on a CI's first run, or none is configured): gates given
/// such a baseline pass and write a line to the test output saying there was nothing to compare with.
/// </summary>
public sealed class Baseline
{
    private Baseline(LoadResult? result, string source, string? absence)
    {
        Result = result;
        Source = source;
        Absence = absence;
    }

    /// <summary>The result to compare with; null when there is none (see <see cref="Source"/>).</summary>
    public LoadResult? Result { get; }

    /// <summary>Where the baseline comes from, for messages: e.g. <c>file '/ci/baseline.json'</c>.</summary>
    public string Source { get; }

    /// <summary>Why there is no result, as a clause: e.g. <c>the file '/ci/baseline.json' does not exist yet</c>.</summary>
    internal string? Absence { get; }

    /// <summary>Compares with <paramref name="result"/>, e.g. a result read with <see cref="LoadResult.ReadFile"/>.</summary>
    public static Baseline FromResult(LoadResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new Baseline(result, $"a result of {result.StartedAt:yyyy-MM-dd HH:mm:ss} UTC given in code", null);
    }

    /// <summary>
    /// Reads the baseline from <paramref name="path"/> (a file that <see cref="LoadResult.WriteFile"/> or
    /// <see cref="LoadTest.BaselineSaveVariable"/> wrote). A file that does not exist yet gives a baseline without a
    /// result, so a CI's first run passes and says so; a file that exists but is not a result is an error.
    /// </summary>
    /// <exception cref="InvalidDataException">The file exists but is not a LoadKit result; the message names it.</exception>
    public static Baseline FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var source = $"file '{full}'";
        return File.Exists(full)
            ? new Baseline(LoadResult.ReadFile(full), source, null)
            : new Baseline(null, source, $"the baseline file '{full}' does not exist yet");
    }

    /// <summary>Compares with <paramref name="result"/> (the same as <see cref="FromResult"/>).</summary>
    public static implicit operator Baseline(LoadResult result) => FromResult(result);

    /// <summary>A baseline that is absent for the reason given (a clause, e.g. "no baseline file is configured").</summary>
    internal static Baseline None(string source, string absence) => new(null, source, absence);
}
