using System.Globalization;

namespace LoadKit.PlanFiles.Documents;

/// <summary>
/// Reads typed values out of a plan's nodes and collects every problem, each with the node's position and its path in
/// the document. A value that cannot be read is reported and returned as null, so reading goes on to the end.
/// </summary>
internal sealed class PlanReader(string source)
{
    private readonly List<PlanProblem> _problems = [];

    public string Source { get; } = source;

    public IReadOnlyList<PlanProblem> Problems => _problems;

    public static string Child(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    public static string Item(string path, int index) => $"{path}[{index}]";

    public void Problem(PlanNode? node, string path, string value, string allowed) =>
        _problems.Add(new PlanProblem(Source, node?.Line ?? 0, node?.Column ?? 0, path, value, allowed));

    /// <summary>Whether a problem was reported at <paramref name="path"/> or at a node that holds it.</summary>
    public bool HasProblemAt(string path) => _problems.Any(p => Contains(p.Path, path));

    /// <summary>Whether a problem was reported inside <paramref name="path"/>.</summary>
    public bool HasProblemInside(string path) => _problems.Any(p => p.Path != path && Contains(path, p.Path));

    /// <summary>The keys of a mapping, checked against <paramref name="keys"/>: an unknown key is a problem (a typo must not pass unseen).</summary>
    public Fields? Map(PlanNode? node, string path, params string[] keys)
    {
        if (node is null)
        {
            return null;
        }

        if (node is not MapNode map)
        {
            Problem(node, path, Show(node), $"a mapping with the keys {string.Join(", ", keys)}");
            return null;
        }

        var values = new Dictionary<string, PlanNode>(StringComparer.Ordinal);
        foreach (var (key, value) in map.Entries)
        {
            if (!keys.Contains(key.Text, StringComparer.Ordinal))
            {
                var suggestion = Closest(key.Text, keys) is { } near ? $"did you mean '{near}'? " : "";
                Problem(key, Child(path, key.Text), "an unknown key", $"{suggestion}allowed keys: {string.Join(", ", keys)}");
            }
            else if (!values.TryAdd(key.Text, value))
            {
                Problem(key, Child(path, key.Text), "a second value", "each key once");
            }
        }

        return new Fields(this, map, path, values);
    }

    /// <summary>A value that may be one item or a list of them (status: OK, or status: [OK, NOT_FOUND]): each with its path; none for no value.</summary>
    public static (PlanNode Node, string Path)[] OneOrMore(PlanNode? node, string path) => node switch
    {
        null => [],
        ListNode list => [.. list.Items.Select((item, i) => (item, Item(path, i)))],
        _ => [(node, path)],
    };

    /// <summary>The items of a list, or null after a problem.</summary>
    public IReadOnlyList<PlanNode>? List(PlanNode? node, string path, string allowed)
    {
        if (node is null)
        {
            return null;
        }

        if (node is ListNode list)
        {
            return list.Items;
        }

        Problem(node, path, Show(node), allowed);
        return null;
    }

    public string? Text(PlanNode? node, string path, string allowed = "a text")
    {
        if (node is ScalarNode { IsNull: false } scalar)
        {
            return scalar.Text;
        }

        if (node is not null)
        {
            Problem(node, path, Show(node), allowed);
        }

        return null;
    }

    public long? Integer(PlanNode? node, string path, string allowed = "a whole number")
    {
        var text = Number(node, path, allowed);
        if (text is null)
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        Problem(node, path, Show(node!), allowed);
        return null;
    }

    public int? Int(PlanNode? node, string path, string allowed = "a whole number")
    {
        var value = Integer(node, path, allowed);
        if (value is null or (>= int.MinValue and <= int.MaxValue))
        {
            return (int?)value;
        }

        Problem(node, path, Show(node!), $"{allowed} up to {int.MaxValue}");
        return null;
    }

    public double? Double(PlanNode? node, string path, string allowed = "a number")
    {
        var text = Number(node, path, allowed);
        if (text is null)
        {
            return null;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
        {
            return value;
        }

        Problem(node, path, Show(node!), allowed);
        return null;
    }

    public bool? Boolean(PlanNode? node, string path)
    {
        if (node is ScalarNode { ScalarKind: ScalarKind.Boolean or ScalarKind.Plain } scalar && NodeJson.Boolean(scalar.Text) is { } value)
        {
            return value;
        }

        if (node is not null)
        {
            Problem(node, path, Show(node), "true or false");
        }

        return null;
    }

    public TimeSpan? Duration(PlanNode? node, string path)
    {
        var text = Text(node, path, Durations.Allowed);
        if (text is null)
        {
            return null;
        }

        if (Durations.TryParse(text, out var value))
        {
            return value;
        }

        Problem(node, path, Show(node!), Durations.Allowed);
        return null;
    }

    /// <summary>One of <paramref name="names"/>, matched ignoring case; returns the name as listed.</summary>
    public string? OneOf(PlanNode? node, string path, params string[] names)
    {
        var text = Text(node, path, "one of " + string.Join(", ", names));
        if (text is null)
        {
            return null;
        }

        if (names.FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase)) is { } name)
        {
            return name;
        }

        Problem(node, path, Show(node!), "one of " + string.Join(", ", names));
        return null;
    }

    /// <summary>A mapping of names to scalar texts (headers, query parameters, form fields, variables), in document order.</summary>
    public List<(string Name, string Value)> Pairs(PlanNode? node, string path)
    {
        var pairs = new List<(string, string)>();
        if (node is null)
        {
            return pairs;
        }

        if (node is not MapNode map)
        {
            Problem(node, path, Show(node), "a mapping of names to values");
            return pairs;
        }

        foreach (var (key, value) in map.Entries)
        {
            if (Text(value, Child(path, key.Text), "a single value (a text, number or boolean)") is { } text)
            {
                pairs.Add((key.Text, text));
            }
        }

        return pairs;
    }

    /// <summary>How a node shows in a problem: a scalar's text quoted, otherwise what it is.</summary>
    public static string Show(PlanNode node) => node is ScalarNode { IsNull: false } scalar ? $"'{scalar.Text}'" : node.Kind;

    private string? Number(PlanNode? node, string path, string allowed)
    {
        if (node is ScalarNode { ScalarKind: ScalarKind.Number or ScalarKind.Plain or ScalarKind.Text } scalar)
        {
            return scalar.Text.Trim();
        }

        if (node is not null)
        {
            Problem(node, path, Show(node), allowed);
        }

        return null;
    }

    private static bool Contains(string outer, string inner) =>
        inner.StartsWith(outer, StringComparison.Ordinal) && (inner.Length == outer.Length || inner[outer.Length] is '.' or '[');

    /// <summary>The allowed key nearest to a misspelt one (same letters in another case, or at most two edits), or null.</summary>
    private static string? Closest(string key, string[] keys)
    {
        var best = keys.Select(k => (Key: k, Distance: string.Equals(k, key, StringComparison.OrdinalIgnoreCase) ? 0 : Edits(k.ToUpperInvariant(), key.ToUpperInvariant())))
            .MinBy(k => k.Distance);
        return best.Key is not null && best.Distance <= Math.Min(2, Math.Max(1, key.Length / 3)) ? best.Key : null;
    }

    private static int Edits(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}

/// <summary>The known keys of one mapping, with the path of each.</summary>
internal sealed class Fields(PlanReader reader, MapNode node, string path, Dictionary<string, PlanNode> values)
{
    public MapNode Node { get; } = node;

    public string Path { get; } = path;

    public PlanNode? this[string key] => values.GetValueOrDefault(key);

    public bool Has(string key) => values.ContainsKey(key);

    public string PathOf(string key) => PlanReader.Child(Path, key);

    /// <summary>The keys present among <paramref name="keys"/>.</summary>
    public string[] Present(params string[] keys) => [.. keys.Where(values.ContainsKey)];

    /// <summary>The value of a key that must be there; a problem when it is not.</summary>
    public PlanNode? Required(string key, string allowed)
    {
        if (values.TryGetValue(key, out var value))
        {
            return value;
        }

        reader.Problem(Node, PathOf(key), "missing", allowed);
        return null;
    }
}
