namespace LoadKit.PlanFiles.Documents;

/// <summary>
/// A node of a plan document, YAML or JSON alike, with where it starts (1-based; 0 when the source gives none), so
/// every problem can name its line. The one model both formats are read into.
/// </summary>
internal abstract class PlanNode(int line, int column)
{
    public int Line { get; } = line;

    public int Column { get; } = column;

    /// <summary>What the node is, for "found a list" in a problem.</summary>
    public abstract string Kind { get; }
}

/// <summary>A mapping (YAML) or object (JSON), in document order.</summary>
internal sealed class MapNode(int line, int column, IReadOnlyList<KeyValuePair<ScalarNode, PlanNode>> entries) : PlanNode(line, column)
{
    public IReadOnlyList<KeyValuePair<ScalarNode, PlanNode>> Entries { get; } = entries;

    public override string Kind => "a mapping";
}

/// <summary>A sequence (YAML) or array (JSON).</summary>
internal sealed class ListNode(int line, int column, IReadOnlyList<PlanNode> items) : PlanNode(line, column)
{
    public IReadOnlyList<PlanNode> Items { get; } = items;

    public override string Kind => "a list";
}

/// <summary>How a scalar was written, which decides what it may stand for.</summary>
internal enum ScalarKind
{
    /// <summary>A quoted YAML scalar or a JSON string: text, whatever it looks like.</summary>
    Text,

    /// <summary>An unquoted YAML scalar: text, or a number, boolean or null when it reads as one.</summary>
    Plain,

    /// <summary>A JSON number.</summary>
    Number,

    /// <summary>A JSON true or false.</summary>
    Boolean,

    /// <summary>A JSON null, or an empty, <c>~</c> or <c>null</c> YAML scalar.</summary>
    Null,
}

/// <summary>A scalar: its text as written (a JSON number's literal, <c>true</c>) and how it was written.</summary>
internal sealed class ScalarNode(int line, int column, string text, ScalarKind scalarKind) : PlanNode(line, column)
{
    public string Text { get; } = text;

    public ScalarKind ScalarKind { get; } = scalarKind;

    public override string Kind => ScalarKind == ScalarKind.Null ? "null" : "a value";

    public bool IsNull => ScalarKind == ScalarKind.Null;
}
