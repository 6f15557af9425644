using LoadKit.Display;
using LoadKit.Validation;

namespace LoadKit.Workload;

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
