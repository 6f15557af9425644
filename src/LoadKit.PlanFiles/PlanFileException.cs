namespace LoadKit;

/// <summary>A plan file that cannot become scenarios; the message lists every problem, each with its file, line and path.</summary>
public sealed class PlanFileException : Exception
{
    /// <summary>Creates the exception for the problems of <paramref name="source"/>.</summary>
    public PlanFileException(string source, IReadOnlyList<PlanProblem> problems)
        : base(Describe(source, problems))
    {
        SourceName = source;
        Problems = problems;
    }

    /// <summary>The plan's file path, or the name given to <see cref="PlanFile.Parse"/>.</summary>
    public string SourceName { get; }

    /// <summary>Every problem found, in document order.</summary>
    public IReadOnlyList<PlanProblem> Problems { get; }

    private static string Describe(string source, IReadOnlyList<PlanProblem> problems) =>
        $"Plan file '{source}' is invalid ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):" + Environment.NewLine
        + string.Join(Environment.NewLine, problems.Select(p => "  - " + p));
}
