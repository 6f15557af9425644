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
