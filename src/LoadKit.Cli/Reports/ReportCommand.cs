using LoadKit.Cli.CommandLine;

namespace LoadKit.Cli.Reports;

/// <summary><c>loadkit report RESULT.json</c>: the reports of a saved result written again, by the writers a run uses (<see cref="Report"/>).</summary>
internal static class ReportCommand
{
    public const string HelpText = """
        loadkit report RESULT.json [--report-dir DIR]

          Reads a result that a run saved (result.json beside its reports, LoadResult.WriteFile, a test's attachment),
          prints its summary table and thresholds, and writes its reports again with this version of LoadKit:
          report.html, summary.md, result.json, steps.csv and timeline.csv.

          --report-dir DIR        where the reports go (default: the folder RESULT.json is in); --out is the same

        Exit code: 0 the reports were written (whatever the run's verdict: loadkit run gives that); 2 bad input (no such
        file, not a LoadKit result, the command line is wrong); 3 the reports could not be written.
        """;

    private static readonly IReadOnlyList<OptionSpec> Options =
    [
        new("--report-dir", "a folder for the reports"),
        new("--out", "a folder for the reports"),
    ];

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var arguments = CommandArguments.Parse("loadkit report", args, Options);
        if (arguments.Help)
        {
            await output.WriteLineAsync(HelpText);
            return ExitCode.Passed;
        }

        if (arguments.NotOneOperand("RESULT", "give a result file, e.g. loadkit report loadkit-reports/checkout-20261203-101500/result.json.", "one result file at a time.") is { } operand)
        {
            arguments.Problems.Add(operand);
        }

        arguments.RefuseBoth("--report-dir", "--out");

        if (arguments.Problems.Count > 0)
        {
            return await Usage.FailAsync(error, "loadkit report", arguments.Problems);
        }

        var path = arguments.Operands[0];
        LoadResult result;
        try
        {
            result = LoadResult.ReadFile(path);
        }
        catch (FileNotFoundException)
        {
            await error.WriteLineAsync($"loadkit report: RESULT = '{path}': no such file (looked for {Path.GetFullPath(path)}); give the result.json a run wrote.");
            return ExitCode.BadInput;
        }
        catch (DirectoryNotFoundException)
        {
            await error.WriteLineAsync($"loadkit report: RESULT = '{path}': no such file (its folder does not exist); give the result.json a run wrote.");
            return ExitCode.BadInput;
        }
        catch (InvalidDataException exception)
        {
            await error.WriteLineAsync($"loadkit report: RESULT = '{path}': {exception.Message}");
            return ExitCode.BadInput;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"loadkit report: RESULT = '{path}': cannot be read: {exception.Message}");
            return ExitCode.BadInput;
        }

        var folder = arguments.Value("--report-dir") ?? arguments.Value("--out") ?? Path.GetDirectoryName(Path.GetFullPath(path))!;
        await output.WriteLineAsync(SummaryTable.Render(result));
        try
        {
            var files = await Report.WriteAsync(result, folder, cancellationToken);
            await output.WriteLineAsync($"Reports: {files.Html}, {string.Join(", ", files.All.Skip(1).Select(Path.GetFileName))}");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"loadkit report: the reports could not be written to '{folder}': {exception.Message}");
            return ExitCode.RunError;
        }

        return ExitCode.Passed;
    }
}
