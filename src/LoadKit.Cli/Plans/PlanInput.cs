using LoadKit.Cli.CommandLine;

namespace LoadKit.Cli.Plans;

/// <summary>Reads a plan for a command, printing every problem it has as <c>file:line:col: path = value: allowed</c>.</summary>
internal static class PlanInput
{
    /// <summary>The compiled plan; null when it is missing or has problems (printed to <paramref name="error"/>).</summary>
    public static async Task<PlanFile?> LoadAsync(string path, TextWriter error, string command)
    {
        try
        {
            // Only the current folder: a command line names files from where it runs.
            return PlanFile.Load(Path.GetFullPath(path));
        }
        catch (FileNotFoundException)
        {
            await error.WriteLineAsync($"{command}: PLAN = '{path}': no such file (looked for {Path.GetFullPath(path)}); give the path of a .yaml, .yml or .json plan.");
        }
        catch (PlanFileException exception)
        {
            await error.WriteLineAsync($"{command}: {Path.GetFileName(exception.SourceName)} has {exception.Problems.Count} problem{(exception.Problems.Count == 1 ? "" : "s")}:");
            foreach (var problem in exception.Problems)
            {
                await error.WriteLineAsync(problem.ToString());
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"{command}: PLAN = '{path}': cannot be read: {exception.Message}");
        }

        return null;
    }
}
