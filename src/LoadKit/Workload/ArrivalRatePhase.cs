using LoadKit.Display;
using LoadKit.Validation;

namespace LoadKit.Workload;

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
