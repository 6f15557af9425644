namespace LoadKit;

/// <summary>
/// One phase of load: how many VUs run, for how long or how many iterations. Create phases with the
/// factories on <see cref="Load"/>; a scenario runs its phases one after the other.
/// </summary>
public abstract class LoadPhase
{
    private protected LoadPhase()
    {
    }

    /// <summary>How many VUs run in this phase.</summary>
    public abstract int Users { get; }

    /// <summary>The longest the phase runs before its VUs are asked to stop (graceful stop follows).</summary>
    public abstract TimeSpan Duration { get; }

    /// <summary>How many iterations each VU runs at most in this phase (<see cref="long.MaxValue"/> when bounded by time only).</summary>
    internal abstract long IterationsPerUser { get; }

    internal abstract void Validate(string setting, List<ValidationProblem> problems);
}

/// <summary>Closed model: a fixed number of VUs loop over the scenario for a fixed time.</summary>
internal sealed class ConstantUsersPhase(int users, TimeSpan during) : LoadPhase
{
    public override int Users => users;

    public override TimeSpan Duration => during;

    internal override long IterationsPerUser => long.MaxValue;

    internal override void Validate(string setting, List<ValidationProblem> problems)
    {
        Check.Positive(setting + ".Users", users, problems);
        Check.Duration(setting + ".During", during, problems);
    }

    public override string ToString() => $"{users} users for {Format.Duration(during)}";
}

/// <summary>Closed model: each VU runs a fixed number of iterations, bounded by a maximum duration.</summary>
internal sealed class IterationsPerUserPhase(int users, int iterations, TimeSpan maxDuration) : LoadPhase
{
    public override int Users => users;

    public override TimeSpan Duration => maxDuration;

    internal override long IterationsPerUser => iterations;

    internal override void Validate(string setting, List<ValidationProblem> problems)
    {
        Check.Positive(setting + ".Users", users, problems);
        Check.Positive(setting + ".Iterations", iterations, problems);
        Check.Duration(setting + ".MaxDuration", maxDuration, problems);
    }

    public override string ToString() =>
        $"{users} users × {iterations} iterations (at most {Format.Duration(maxDuration)})";
}
