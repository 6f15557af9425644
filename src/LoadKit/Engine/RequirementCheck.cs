namespace LoadKit.Engine;

/// <summary>
/// A scenario's requirements of the process that runs its share (a browser here, not too many browser users): checked
/// once, before anything starts, then watched for what the run's notes must say.
/// </summary>
internal sealed class RequirementCheck
{
    private readonly Func<string?>[] _watches = [];

    /// <summary>Refuses a share this process cannot run; <paramref name="plannedUsers"/> is asked only when there is a requirement.</summary>
    /// <exception cref="ScenarioRequirementException">A requirement is not met here; the message lists every problem.</exception>
    public RequirementCheck(Scenario scenario, Func<int> plannedUsers)
    {
        if (scenario.Requirements.IsEmpty)
        {
            return;
        }

        var users = plannedUsers();
        var problems = scenario.Requirements.Select(r => r.Check(users)).OfType<string>().ToArray();
        if (problems.Length > 0)
        {
            throw new ScenarioRequirementException($"Scenario '{scenario.Name}' cannot run in this process ({Environment.MachineName}, pid {Environment.ProcessId}): {string.Join(" ", problems)}");
        }

        _watches = [.. scenario.Requirements.Select(r => r.Watch?.Invoke()).OfType<Func<string?>>()];
    }

    /// <summary>What the requirements' watches have to say now (null where a watch has nothing).</summary>
    public IEnumerable<string?> Notes => _watches.Select(n => n());
}
