using System.Globalization;
using LoadKit.Display;

namespace LoadKit.Validation;

/// <summary>The checks <see cref="ScenarioBuilder.Build"/> applies to settings, each adding a problem that names the setting.</summary>
internal static class Check
{
    /// <summary>
    /// The longest duration any setting accepts. Timers accept at most about 49.7 days, and a phase's duration plus
    /// its graceful stop must fit in one.
    /// </summary>
    public static readonly TimeSpan LongestDuration = TimeSpan.FromDays(24);

    public static void Positive(string setting, int value, List<ValidationProblem> problems)
    {
        if (value <= 0)
        {
            problems.Add(new(setting, value.ToString(CultureInfo.InvariantCulture), "must be 1 or more"));
        }
    }

    public static void NotNegative(string setting, int value, List<ValidationProblem> problems)
    {
        if (value < 0)
        {
            problems.Add(new(setting, value.ToString(CultureInfo.InvariantCulture), "must be 0 or more"));
        }
    }

    public static void PositiveRate(string setting, double value, List<ValidationProblem> problems)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            problems.Add(new(setting, value.ToString(CultureInfo.InvariantCulture), "must be a finite number greater than 0"));
        }
    }

    public static void NotNegativeRate(string setting, double value, List<ValidationProblem> problems)
    {
        if (!(value >= 0) || double.IsInfinity(value))
        {
            problems.Add(new(setting, value.ToString(CultureInfo.InvariantCulture), "must be a finite number, 0 or more"));
        }
    }

    /// <summary>Longer than 0 (or at least 0 when <paramref name="allowZero"/>) and at most <see cref="LongestDuration"/>.</summary>
    public static void Duration(string setting, TimeSpan value, List<ValidationProblem> problems, bool allowZero = false)
    {
        if (allowZero ? value < TimeSpan.Zero : value <= TimeSpan.Zero)
        {
            problems.Add(new(setting, Format.Duration(value), allowZero ? "must be 0 or more" : "must be longer than 0"));
        }
        else if (value > LongestDuration)
        {
            problems.Add(new(setting, Format.Duration(value), $"must be at most {Format.Duration(LongestDuration)}"));
        }
    }
}
