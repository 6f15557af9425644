using LoadKit.Cluster.Protocol;

namespace LoadKit.Worker.Runs;

/// <summary>
/// A plan file the controller sent instead of a test assembly (<c>loadkit run PLAN --etcd ...</c>): compiled here from
/// the artifact, which holds the plan and its feed files laid out as on the controller, so its relative paths hold.
/// </summary>
internal static class SentPlan
{
    /// <summary>The scenarios <paramref name="prepare"/> names, compiled from its plan file in <paramref name="folder"/>.</summary>
    /// <exception cref="ArgumentException">No such file in the artifact, a plan with problems, or a scenario it does not have; the message says which.</exception>
    public static IReadOnlyList<Scenario> Compile(string folder, Prepare prepare)
    {
        var root = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
        var path = Path.GetFullPath(Path.Combine(root, prepare.PlanFile));
        if (!path.StartsWith(root, StringComparison.Ordinal) || !File.Exists(path))
        {
            throw new ArgumentException($"plan file = '{prepare.PlanFile}': the uploaded artifact has no such file.");
        }

        if (prepare.PlanScenarios.Count == 0)
        {
            throw new ArgumentException($"plan scenarios = none: name at least one scenario of '{prepare.PlanFile}' to run.");
        }

        try
        {
            // The controller compiled the same text before it claimed this worker; a problem here comes from what
            // differs on this machine (an environment variable the plan reads).
            var plan = PlanFile.Load(path);
            return [.. prepare.PlanScenarios.Select(plan.GetScenario)];
        }
        catch (PlanFileException exception)
        {
            throw new ArgumentException(exception.Message, exception);
        }
    }
}
