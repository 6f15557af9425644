using LoadKit.Cli.CommandLine;
using LoadKit.Cli.Plans;

namespace LoadKit.Cli.Running;

/// <summary>
/// A plan file for <c>loadkit run</c>: compiled here first, so a plan with problems stops the command before any
/// worker is touched; on workers, the plan and its feed files go to them and each compiles the same text.
/// </summary>
internal static class PlanRunInput
{
    /// <summary>The plan's chosen scenarios; null when the plan or the choice has problems (printed to <paramref name="error"/>).</summary>
    public static async Task<RunInput?> LoadAsync(RunSettings settings, TextWriter error)
    {
        var plan = await PlanInput.LoadAsync(settings.PlanPath, error, "loadkit run");
        if (plan is null)
        {
            return null;
        }

        IReadOnlyList<Scenario> scenarios;
        try
        {
            scenarios = settings.Scenarios.Count == 0 ? plan.Scenarios : [.. settings.Scenarios.Distinct().Select(plan.GetScenario)];
        }
        catch (ArgumentException exception)
        {
            await Usage.FailAsync(error, "loadkit run", [$"option --scenario: {exception.Message.Split(" (Parameter", 2)[0]}"]);
            return null;
        }

        ClusterTarget? target = null;
        if (settings.Cluster is { } cluster)
        {
            try
            {
                target = ClusterTarget.ForPlan(cluster, new PlanFileSource(plan.Source, plan.FeedFiles));
            }
            catch (ArgumentException exception)
            {
                await Usage.FailAsync(error, "loadkit run", [exception.Message.Split(" (Parameter", 2)[0]]);
                return null;
            }
        }

        return new RunInput(
            [.. scenarios.Select(s => s.Name)],
            (options, cancellationToken) => LoadRunner.RunAsync(scenarios, target is null ? options : options with { Target = target }, cancellationToken));
    }
}
