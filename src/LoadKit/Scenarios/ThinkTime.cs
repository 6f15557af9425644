using LoadKit.Display;
using LoadKit.Validation;

namespace LoadKit;

/// <summary>
/// A pause a VU takes between steps, as a user reads a page before the next click: fixed, uniform, normal or
/// negative-exponential. Think time is not part of any step's latency (it is part of the iteration's duration).
/// </summary>
public sealed class ThinkTime
{
    private readonly Kind _kind;
    private readonly TimeSpan _mean;
    private readonly TimeSpan _deviation;

    private ThinkTime(Kind kind, TimeSpan min, TimeSpan max, TimeSpan mean = default, TimeSpan deviation = default)
    {
        _kind = kind;
        Min = min;
        Max = max;
        _mean = mean;
        _deviation = deviation;
    }

    private enum Kind
    {
        Uniform,
        Normal,
        Exponential,
    }

    /// <summary>The shortest pause.</summary>
    public TimeSpan Min { get; }

    /// <summary>The longest pause (equal to <see cref="Min"/> for a fixed pause).</summary>
    public TimeSpan Max { get; }

    /// <summary>A pause of exactly <paramref name="duration"/>.</summary>
    public static ThinkTime Fixed(TimeSpan duration) => new(Kind.Uniform, duration, duration);

    /// <summary>A pause drawn uniformly between <paramref name="min"/> and <paramref name="max"/> for each use.</summary>
    public static ThinkTime Uniform(TimeSpan min, TimeSpan max) => new(Kind.Uniform, min, max);

    /// <summary>
    /// A pause drawn from a normal distribution, clamped to <paramref name="min"/>..<paramref name="max"/>
    /// (default: mean ± 3 deviations, and never below 0).
    /// </summary>
    public static ThinkTime Normal(TimeSpan mean, TimeSpan deviation, TimeSpan? min = null, TimeSpan? max = null) =>
        new(Kind.Normal, min ?? Clamp(mean - (3 * deviation)), max ?? mean + (3 * deviation), mean, deviation);

    /// <summary>
    /// A pause drawn from a negative-exponential distribution with the given <paramref name="mean"/> (the gaps of
    /// a Poisson process), capped at <paramref name="max"/> (default: 10 × the mean, which moves the mean by 0.05 %).
    /// </summary>
    public static ThinkTime Exponential(TimeSpan mean, TimeSpan? max = null) =>
        new(Kind.Exponential, TimeSpan.Zero, max ?? mean * 10, mean);

    internal TimeSpan Next(Random random)
    {
        var ticks = _kind switch
        {
            _ when Min == Max => Min.Ticks,
            Kind.Uniform => Min.Ticks + (random.NextDouble() * (Max - Min).Ticks),
            Kind.Normal => _mean.Ticks + (_deviation.Ticks * StandardNormal(random)),
            _ => -_mean.Ticks * Math.Log(1 - random.NextDouble()),
        };
        return TimeSpan.FromTicks((long)Math.Clamp(ticks, Min.Ticks, Max.Ticks));
    }

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

        if (_kind != Kind.Uniform)
        {
            Check.Duration(setting + ".Mean", _mean, problems, allowZero: _kind == Kind.Normal);
        }

        if (_kind == Kind.Normal)
        {
            Check.Duration(setting + ".Deviation", _deviation, problems, allowZero: true);
        }
    }

    /// <inheritdoc />
    public override string ToString() => _kind switch
    {
        _ when Min == Max => $"think {Format.Duration(Min)}",
        Kind.Uniform => $"think {Format.Duration(Min)}..{Format.Duration(Max)}",
        Kind.Normal => $"think normal {Format.Duration(_mean)} ± {Format.Duration(_deviation)} in {Format.Duration(Min)}..{Format.Duration(Max)}",
        _ => $"think exponential mean {Format.Duration(_mean)} up to {Format.Duration(Max)}",
    };

    private static TimeSpan Clamp(TimeSpan value) => value < TimeSpan.Zero ? TimeSpan.Zero : value;

    /// <summary>Box–Muller: one standard normal sample from two uniform ones.</summary>
    private static double StandardNormal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
