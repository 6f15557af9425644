namespace LoadKit.Cli.CommandLine;

/// <summary>An option a command accepts: <c>--name VALUE</c> (or <c>--name=VALUE</c>), or a flag when <see cref="Value"/> is null.</summary>
/// <param name="Name">The option with its dashes, e.g. <c>--profile</c>.</param>
/// <param name="Value">What the value is, as the error for a missing one says it (e.g. "smoke or full"); null for a flag.</param>
/// <param name="Repeatable">Whether it may be given more than once (each value is kept).</param>
internal sealed record OptionSpec(string Name, string? Value, bool Repeatable = false);

/// <summary>
/// A command's arguments, read against the options it accepts: the operands (arguments that are not options), the
/// options' values, whether help was asked for, and every problem found (an unknown option, with the known ones;
/// a missing value, an option given twice), each naming the option, the value and what is allowed.
/// </summary>
internal sealed class CommandArguments
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    private CommandArguments()
    {
    }

    public List<string> Operands { get; } = [];

    public List<string> Problems { get; } = [];

    public bool Help { get; private set; }

    /// <summary>The last value given for <paramref name="option"/>, or null.</summary>
    public string? Value(string option) => _values.TryGetValue(option, out var values) ? values[^1] : null;

    /// <summary>Every value given for <paramref name="option"/>, in order.</summary>
    public IReadOnlyList<string> Values(string option) => _values.TryGetValue(option, out var values) ? values : [];

    public bool Has(string option) => _values.ContainsKey(option);

    /// <summary>
    /// The problem with the operands when there is not exactly one, or null: <paramref name="name"/> is missing
    /// (<paramref name="missing"/> says what to give) or given more than once (<paramref name="oneAtATime"/>).
    /// </summary>
    public string? NotOneOperand(string name, string missing, string oneAtATime) => Operands.Count switch
    {
        1 => null,
        0 => $"{name}: missing; {missing}",
        _ => $"{name} = {string.Join(" ", Operands.Select(o => $"'{o}'"))}: {oneAtATime}",
    };

    /// <summary>Notes a problem when an option is given under both of its names.</summary>
    public void RefuseBoth(string option, string alias)
    {
        if (Has(option) && Has(alias))
        {
            Problems.Add($"{option} = '{Value(option)}' and {alias} = '{Value(alias)}': the same option; give it once.");
        }
    }

    public static CommandArguments Parse(string command, IReadOnlyList<string> args, IReadOnlyList<OptionSpec> options)
    {
        var parsed = new CommandArguments();
        var operandsOnly = false;
        for (var i = 0; i < args.Count; i++)
        {
            var argument = args[i];
            if (operandsOnly || argument is "-" || !argument.StartsWith('-'))
            {
                parsed.Operands.Add(argument);
                continue;
            }

            if (argument == "--")
            {
                operandsOnly = true;
                continue;
            }

            if (argument is "--help" or "-h" or "-?")
            {
                parsed.Help = true;
                continue;
            }

            var (name, inlineValue) = argument.IndexOf('=', StringComparison.Ordinal) is var equals and > 0
                ? (argument[..equals], argument[(equals + 1)..])
                : (argument, null);
            var spec = options.FirstOrDefault(o => o.Name == name);
            if (spec is null)
            {
                parsed.Problems.Add($"{name}: not an option of '{command}'; allowed: {string.Join(", ", options.Select(o => o.Name))} (see {command} --help).");
                continue;
            }

            string value;
            if (spec.Value is null)
            {
                if (inlineValue is not null)
                {
                    parsed.Problems.Add($"{name} = '{inlineValue}': {name} is a flag and takes no value.");
                    continue;
                }

                value = "true";
            }
            else if (inlineValue is not null)
            {
                value = inlineValue;
            }
            else if (i + 1 < args.Count && !(args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2))
            {
                value = args[++i];
            }
            else
            {
                parsed.Problems.Add($"{name}: missing its value; allowed: {spec.Value}.");
                continue;
            }

            if (parsed._values.TryGetValue(name, out var values))
            {
                if (!spec.Repeatable)
                {
                    parsed.Problems.Add($"{name} = '{value}': given twice (first '{values[0]}'); give it once.");
                    continue;
                }

                values.Add(value);
            }
            else
            {
                parsed._values[name] = [value];
            }
        }

        return parsed;
    }
}
