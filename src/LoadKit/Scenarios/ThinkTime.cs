namespace LoadKit;

/// <summary>
/// A pause a VU takes between steps, as a user reads a page before the next click.
/// Think time is not part of any step's latency (it is part of the iteration's duration).
/// </summary>
public sealed class ThinkTime
{
    private ThinkTime(TimeSpan min, TimeSpan max)
    {
        Min = min;
        Max = max;
    }

    /// <summary>The shortest pause.</summary>
    public TimeSpan Min { get; }

    /// <summary>The longest pause (equal to <see cref="Min"/> for a fixed pause).</summary>
    public TimeSpan Max { get; }

    /// <summary>A pause of exactly <paramref name="duration"/>.</summary>
    public static ThinkTime Fixed(TimeSpan duration) => new(duration, duration);

    /// <summary>A pause drawn uniformly between <paramref name="min"/> and <paramref name="max"/> for each use.</summary>
    public static ThinkTime Uniform(TimeSpan min, TimeSpan max) => new(min, max);

    internal TimeSpan Next(Random random) =>
        Min == Max ? Min : Min + TimeSpan.FromTicks((long)(random.NextDouble() * (Max - Min).Ticks));

    internal void Validate(string setting, List<ValidationProblem> problems)
    {
        Check.Duration(setting + ".Min", Min, problems, allowZero: true);
        if (Max != Min)
        {
            Check.Duration(setting + ".Max", Max, problems, allowZero: true);
        }

        if (Min > Max)
        {
            problems.Add(new(setting, $"min {Format.Duration(Min)} > max {Format.Duration(Max)}", "min must not exceed max"));
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        Min == Max ? $"think {Format.Duration(Min)}" : $"think {Format.Duration(Min)}..{Format.Duration(Max)}";
}
