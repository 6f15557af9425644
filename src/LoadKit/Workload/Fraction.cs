using System.Globalization;

namespace LoadKit.Workload;

/// <summary>An exact non-negative rational number, always reduced; used for execution-segment boundaries.</summary>
internal readonly record struct Fraction : IComparable<Fraction>
{
    public Fraction(long numerator, long denominator)
    {
        if (denominator <= 0 || numerator < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(denominator), $"{numerator}/{denominator} is not a non-negative fraction.");
        }

        var gcd = (long)System.Numerics.BigInteger.GreatestCommonDivisor(numerator, denominator);
        Numerator = numerator / gcd;
        Denominator = denominator / gcd;
    }

    public static Fraction Zero { get; } = new(0, 1);

    public static Fraction One { get; } = new(1, 1);

    public long Numerator { get; }

    public long Denominator { get; }

    /// <summary>Parses <c>a/b</c>, <c>0</c> or <c>1</c>.</summary>
    public static Fraction Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length is 1 or 2
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var numerator)
            && (parts.Length == 1 ? 1 : long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : 0) is var denominator and > 0)
        {
            return new Fraction(numerator, denominator);
        }

        throw new FormatException($"'{text}' is not a fraction; write it as a/b with whole numbers, e.g. 1/3.");
    }

    public int CompareTo(Fraction other) =>
        ((Int128)Numerator * other.Denominator).CompareTo((Int128)other.Numerator * Denominator);

    public static bool operator <(Fraction a, Fraction b) => a.CompareTo(b) < 0;

    public static bool operator >(Fraction a, Fraction b) => a.CompareTo(b) > 0;

    public static bool operator <=(Fraction a, Fraction b) => a.CompareTo(b) <= 0;

    public static bool operator >=(Fraction a, Fraction b) => a.CompareTo(b) >= 0;

    public double ToDouble() => (double)Numerator / Denominator;

    public override string ToString() =>
        Denominator == 1 ? Numerator.ToString(CultureInfo.InvariantCulture) : $"{Numerator}/{Denominator}";
}
