using System.Globalization;

namespace LoadKit.Bench;

/// <summary>The command line: a mode, then <c>--name value</c> pairs. Every value is checked where it is read.</summary>
internal sealed class BenchArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private BenchArgs(string mode) => Mode = mode;

    public string Mode { get; }

    public static BenchArgs Parse(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            throw new ArgumentException("The first argument is the mode: http, density, skew, fanin or longrun.");
        }

        var parsed = new BenchArgs(args[0]);
        for (var i = 1; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"argument '{args[i]}': expected --name value pairs after the mode.");
            }

            parsed._values[args[i]] = args[i + 1];
        }

        return parsed;
    }

    public string Text(string name, string? fallback = null)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var value) ? value : fallback ?? throw new ArgumentException($"{name} is required in mode {Mode}.");
    }

    public int Int(string name, int fallback, int min = 1)
    {
        var text = Text(name, fallback.ToString(CultureInfo.InvariantCulture));
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min
            ? value
            : throw new ArgumentException($"{name} = '{text}': must be a whole number of at least {min}.");
    }

    public double Number(string name, double fallback)
    {
        var text = Text(name, fallback.ToString(CultureInfo.InvariantCulture));
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new ArgumentException($"{name} = '{text}': must be a number of at least 0.");
    }

    /// <summary>Seconds, as a number (<c>1.5</c>) greater than 0.</summary>
    public TimeSpan Seconds(string name, double fallback)
    {
        var seconds = Number(name, fallback);
        return seconds > 0 ? TimeSpan.FromSeconds(seconds) : throw new ArgumentException($"{name} = {seconds}: must be more than 0 seconds.");
    }

    /// <summary>Throws if an argument was given that the mode does not read (a typo would otherwise be ignored).</summary>
    public void ThrowIfUnread()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToArray();
        if (unknown.Length > 0)
        {
            throw new ArgumentException($"mode {Mode} does not take {string.Join(", ", unknown)}; it takes {string.Join(", ", _read.Order(StringComparer.Ordinal))}.");
        }
    }
}
