using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace LoadKit;

/// <summary>
/// A text with <c>{{name}}</c> placeholders filled from a VU's <see cref="Session"/> when it is rendered, for request
/// paths, headers, bodies and messages. Parsed once; a text without placeholders renders to itself without allocating.
/// Values are formatted with the invariant culture. Write <c>{{{{</c> for a literal <c>{{</c>.
/// </summary>
public sealed class Template
{
    private readonly ImmutableArray<Part> _parts;

    private Template(string text, ImmutableArray<Part> parts)
    {
        Text = text;
        _parts = parts;
        Names = [.. parts.Where(p => p.IsName).Select(p => p.Value).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The text as written.</summary>
    public string Text { get; }

    /// <summary>The session values it names, each once.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Whether it names no session value (it always renders to the same text).</summary>
    public bool IsConstant => Names.Count == 0;

    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">A <c>{{</c> without its <c>}}</c>, or an empty or blank name.</exception>
    public static Template Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = ImmutableArray.CreateBuilder<Part>();
        var literal = new StringBuilder();
        var at = 0;
        while (at < text.Length)
        {
            var open = text.IndexOf("{{", at, StringComparison.Ordinal);
            if (open < 0)
            {
                literal.Append(text, at, text.Length - at);
                break;
            }

            literal.Append(text, at, open - at);
            if (string.CompareOrdinal(text, open, "{{{{", 0, 4) == 0)
            {
                literal.Append("{{");
                at = open + 4;
                continue;
            }

            var close = text.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"Template '{text}' opens a placeholder at position {open} with '{{{{' but never closes it with '}}}}'.");
            }

            var name = text[(open + 2)..close].Trim();
            if (name.Length == 0 || name.Contains("{{", StringComparison.Ordinal))
            {
                throw new FormatException($"Template '{text}' has a placeholder at position {open} without a valid name: write {{{{name}}}} with the name of a session value.");
            }

            if (literal.Length > 0)
            {
                parts.Add(new Part(literal.ToString(), IsName: false));
                literal.Clear();
            }

            parts.Add(new Part(name, IsName: true));
            at = close + 2;
        }

        if (literal.Length > 0)
        {
            parts.Add(new Part(literal.ToString(), IsName: false));
        }

        return new Template(text, parts.ToImmutable());
    }

    /// <summary>Fills the placeholders from <paramref name="session"/>.</summary>
    /// <exception cref="KeyNotFoundException">The session has no value of a name used here; the message names it.</exception>
    public string Render(Session session)
    {
        ArgumentNullException.ThrowIfNull(session);
        switch (_parts.Length)
        {
            case 0:
                return "";
            case 1 when !_parts[0].IsName:
                return _parts[0].Value;
        }

        var text = new StringBuilder();
        foreach (var part in _parts)
        {
            text.Append(part.IsName ? Value(session, part.Value) : part.Value);
        }

        return text.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    private string Value(Session session, string name)
    {
        if (!session.TryGet<object?>(name, out var value) && !session.Contains(name))
        {
            throw new KeyNotFoundException(
                $"Template '{Text}' names '{name}', which the session of VU {session.UserIndex} does not have (keys present: {session.DescribeKeys()}). " +
                "Set it in the scenario's init, a feed or an earlier step's extraction.");
        }

        return value switch
        {
            null => "",
            string s => s,
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
    }

    private readonly record struct Part(string Value, bool IsName);
}
