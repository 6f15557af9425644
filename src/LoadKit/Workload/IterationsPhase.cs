using LoadKit.Display;
using LoadKit.Validation;

namespace LoadKit.Workload;

/// <summary>Closed model: iterations counted per VU, or shared by all VUs, bounded by a maximum duration.</summary>
internal sealed class IterationsPhase(int users, int iterations, bool shared, TimeSpan maxDuration) : LoadPhase
{
    public int Users => users;

    public int Iterations => iterations;

    public bool Shared => shared;

    public override TimeSpan Duration => maxDuration;

    internal override void Validate(string setting, List<ValidationProblem> problems)
    {
        Check.Positive(setting + ".Users", users, problems);
        Check.Positive(setting + ".Iterations", iterations, problems);
        Check.Duration(setting + ".MaxDuration", maxDuration, problems);
    }

    internal override LoadPhase Scale(double factor) =>
        new IterationsPhase(Scale(users, factor), Scale(iterations, factor), shared, maxDuration);

    public override string ToString() => shared
        ? $"{iterations} iterations shared by {users} users (at most {Format.Duration(maxDuration)})"
        : $"{users} users × {iterations} iterations (at most {Format.Duration(maxDuration)})";
}
