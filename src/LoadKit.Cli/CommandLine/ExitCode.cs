namespace LoadKit.Cli.CommandLine;

/// <summary>What <c>loadkit</c> exits with, for a CI job to branch on (docs/plan-files.md, "From the command line").</summary>
internal static class ExitCode
{
    /// <summary>The command did what it was asked; for <c>run</c>, every threshold passed.</summary>
    public const int Passed = 0;

    /// <summary><c>run</c>: the run ended and a threshold failed.</summary>
    public const int ThresholdFailed = 1;

    /// <summary>Bad input: the command line, the settings, or the plan (every problem is printed).</summary>
    public const int BadInput = 2;

    /// <summary><c>run</c>: the run could not be done or gave nothing to judge (no step call succeeded, stopped early, an error).</summary>
    public const int RunError = 3;
}
