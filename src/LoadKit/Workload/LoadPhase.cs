using LoadKit.Display;
using LoadKit.Validation;

namespace LoadKit;

/// <summary>
/// One phase of load. Create phases with the factories on <see cref="Load"/>; a scenario runs its phases one after
/// the other. Consecutive user phases (<see cref="Load.ConstantUsers"/>, <see cref="Load.RampUsers(int, TimeSpan)"/>)
/// form one continuous VU timeline, like stages, and so do consecutive arrival-rate phases.
/// </summary>
public abstract class LoadPhase
{
    private protected LoadPhase()
    {
    }

    /// <summary>How long the phase lasts (for phases counted in iterations: the longest it may last).</summary>
    public abstract TimeSpan Duration { get; }

    internal abstract void Validate(string setting, List<ValidationProblem> problems);

    /// <summary>This phase with VUs, rates and iteration counts multiplied by <paramref name="factor"/>; durations stay.</summary>
    internal abstract LoadPhase Scale(double factor);

    private protected static int Scale(int value, double factor) =>
        value == 0 ? 0 : (int)Math.Min(int.MaxValue, Math.Max(1, Math.Ceiling(value * factor)));
}

/// <summary>
/// Closed model: a number of VUs over time, constant (<c>From == To</c>) or ramping linearly. A null
/// <c>From</c> continues from the previous phase's level (0 if none).
/// </summary>
internal sealed class UsersPhase(int? from, int to, TimeSpan during) : LoadPhase
{
    public int? From => from;

    public int To => to;

    public override TimeSpan Duration => during;

    internal override void Validate(string setting, List<ValidationProblem> problems)
    {
        if (from is { } start)
        {
            Check.NotNegative(setting + ".From", start, problems);
        }

        if (from == to)
        {
            Check.Positive(setting + ".Users", to, problems);
        }
        else
        {
            Check.NotNegative(setting + ".To", to, problems);
        }

        Check.Duration(setting + ".During", during, problems);
    }

    internal override LoadPhase Scale(double factor) =>
        new UsersPhase(from is { } f ? Scale(f, factor) : null, Scale(to, factor), during);

    public override string ToString() => from == to
        ? $"{to} users for {Format.Duration(during)}"
        : $"ramp {(from is { } f ? f + " → " : "to ")}{to} users over {Format.Duration(during)}";
}

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

/// <summary>
/// Open model: iterations start at a rate, constant (<c>From == To</c>) or ramping linearly, whatever the system's
/// response times; VUs come from a pool of <c>PreAllocatedUsers</c> that grows up to <c>MaxUsers</c>. Rates are
/// per <c>per</c>; a null <c>From</c> continues from the previous phase's rate (0 if none).
/// </summary>
internal sealed class ArrivalRatePhase(double? from, double to, TimeSpan per, TimeSpan during, int preAllocatedUsers, int maxUsers) : LoadPhase
{
    /// <summary>Iterations per second at the start (null: the previous phase's end rate).</summary>
    public double? FromPerSecond => from / per.TotalSeconds;

    /// <summary>Iterations per second at the end.</summary>
    public double ToPerSecond => to / per.TotalSeconds;

    public int PreAllocatedUsers => preAllocatedUsers;

    public int MaxUsers => maxUsers;

    public override TimeSpan Duration => during;

    internal override void Validate(string setting, List<ValidationProblem> problems)
    {
        if (from == to)
        {
            Check.PositiveRate(setting + ".Rate", to, problems);
        }
        else
        {
            if (from is { } start)
            {
                Check.NotNegativeRate(setting + ".From", start, problems);
            }

            Check.NotNegativeRate(setting + ".To", to, problems);
        }

        Check.Duration(setting + ".Per", per, problems);
        Check.Duration(setting + ".During", during, problems);
        Check.NotNegative(setting + ".PreAllocatedUsers", preAllocatedUsers, problems);
        Check.Positive(setting + ".MaxUsers", maxUsers, problems);
        if (maxUsers < preAllocatedUsers)
        {
            problems.Add(new(setting + ".MaxUsers", $"{maxUsers} (< PreAllocatedUsers {preAllocatedUsers})", "must be at least PreAllocatedUsers"));
        }
    }

    internal override LoadPhase Scale(double factor) =>
        new ArrivalRatePhase(from * factor, to * factor, per, during, Scale(preAllocatedUsers, factor), Scale(maxUsers, factor));

    public override string ToString()
    {
        var unit = per == TimeSpan.FromSeconds(1) ? "s" : Format.Duration(per);
        var rate = from == to ? $"{to:0.###}/{unit}" : $"ramp {(from is { } f ? $"{f:0.###} → " : "to ")}{to:0.###}/{unit}";
        return $"{rate} for {Format.Duration(during)} ({preAllocatedUsers}..{maxUsers} users)";
    }
}
