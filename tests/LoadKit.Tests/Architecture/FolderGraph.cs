using System.Text;
using Mono.Cecil;

namespace LoadKit.Tests.Architecture;

/// <summary>
/// The folders of a project and which depends on which: folder A depends on folder B when a type whose source is in
/// A references a type whose source is in B. Its cycles are its strongly connected components (Tarjan).
/// </summary>
internal sealed class FolderGraph
{
    private readonly SortedDictionary<string, SortedDictionary<string, FolderEdge>> _edges = new(StringComparer.Ordinal);

    public FolderGraph(CoreAssembly core)
    {
        Folders = core.Source.Folders;
        foreach (var ((from, to), via) in core.References.AcrossFolders)
        {
            var fromFolder = core.PlaceOf(from)!.Folder;
            var toFolder = core.PlaceOf(to)!.Folder;
            if (!_edges.TryGetValue(fromFolder, out var targets))
            {
                _edges[fromFolder] = targets = new(StringComparer.Ordinal);
            }

            if (!targets.TryGetValue(toFolder, out var edge))
            {
                targets[toFolder] = edge = new FolderEdge(fromFolder, toFolder);
            }

            edge.References.Add(new TypeReferenceExample(from, to, via));
        }
    }

    public IReadOnlyList<string> Folders { get; }

    public IEnumerable<FolderEdge> Edges => _edges.Values.SelectMany(targets => targets.Values);

    public FolderEdge? Edge(string from, string to) =>
        _edges.GetValueOrDefault(from)?.GetValueOrDefault(to);

    public IEnumerable<string> DependenciesOf(string folder) =>
        _edges.TryGetValue(folder, out var targets) ? targets.Keys : [];

    /// <summary>Each folder and the folders it depends on, with how many type references make each dependency.</summary>
    public string DependencyList() => string.Join(Environment.NewLine, Folders.Select(folder =>
        $"{folder} → " + (_edges.TryGetValue(folder, out var targets)
            ? string.Join(", ", targets.Values.Select(e => $"{e.To} ({e.References.Count})"))
            : "(nothing)")));

    /// <summary>The groups of two or more folders that depend on each other, each in name order; largest first.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var tarjan = new Tarjan(this);
        foreach (var folder in Folders.Concat(_edges.Keys).Distinct().Order(StringComparer.Ordinal))
        {
            tarjan.Visit(folder);
        }

        return tarjan.Components.Where(c => c.Count > 1)
            .Select(c => (IReadOnlyList<string>)c.Order(StringComparer.Ordinal).ToArray())
            .OrderByDescending(c => c.Count).ThenBy(c => c[0], StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>
    /// The dependencies that lie on a cycle: those between two folders of one group of <see cref="Cycles"/>, in
    /// folder order.
    /// </summary>
    public IReadOnlyList<FolderEdge> EdgesOnCycles()
    {
        var group = new Dictionary<string, int>(StringComparer.Ordinal);
        var cycles = Cycles();
        for (var i = 0; i < cycles.Count; i++)
        {
            foreach (var folder in cycles[i])
            {
                group[folder] = i;
            }
        }

        return Edges.Where(e => group.TryGetValue(e.From, out var from) && group.TryGetValue(e.To, out var to) && from == to)
            .ToArray();
    }

    /// <summary>
    /// A shortest cycle through a dependency: its From, its To and on back to its From (written again at the end);
    /// null when the dependency is on no cycle.
    /// </summary>
    public IReadOnlyList<string>? ShortestCycleThrough(FolderEdge edge) =>
        ShortestPath(edge.To, edge.From, within: null) is { } back ? [edge.From, .. back] : null;

    /// <summary>A shortest path of folders from one to another inside a group (both ends included), or null.</summary>
    public IReadOnlyList<string>? ShortestPath(string from, string to, IReadOnlySet<string>? within)
    {
        var previous = new Dictionary<string, string>(StringComparer.Ordinal) { [from] = from };
        var queue = new Queue<string>([from]);
        while (queue.TryDequeue(out var folder))
        {
            foreach (var next in DependenciesOf(folder).Where(f => within is null || within.Contains(f)))
            {
                if (!previous.TryAdd(next, folder))
                {
                    continue;
                }

                if (next == to)
                {
                    var path = new List<string> { to };
                    for (var at = to; at != from; at = previous[at])
                    {
                        path.Add(previous[at]);
                    }

                    path.Reverse();
                    return path;
                }

                queue.Enqueue(next);
            }
        }

        return null;
    }

    /// <summary>
    /// A readable account of one group of folders that depend on each other: a shortest cycle through each of its
    /// dependencies, then each dependency with how many type references make it and one or two of them. The
    /// dependencies are listed fewest references first: those are the cheapest to cut.
    /// </summary>
    public string Describe(IReadOnlyList<string> cycle, int examples = 2)
    {
        var within = cycle.ToHashSet(StringComparer.Ordinal);
        var edges = Edges.Where(e => within.Contains(e.From) && within.Contains(e.To))
            .OrderBy(e => e.References.Count).ThenBy(e => e.From, StringComparer.Ordinal).ThenBy(e => e.To, StringComparer.Ordinal)
            .ToArray();
        var text = new StringBuilder();
        text.AppendLine($"{string.Join(", ", cycle)} depend on each other ({edges.Length} dependencies among them).");

        // A shortest cycle through each dependency, each cycle once (written from its first folder in name order).
        var loops = edges.Select(e => ShortestPath(e.To, e.From, within) is { } back ? Rotated([e.From, .. back.SkipLast(1)]) : null)
            .OfType<string[]>().Select(l => string.Join(" → ", [.. l, l[0]])).Distinct(StringComparer.Ordinal)
            .OrderBy(l => l.Length).ThenBy(l => l, StringComparer.Ordinal).ToArray();
        text.AppendLine($"  {loops.Length} cycles (a shortest one through each dependency):");
        foreach (var loop in loops)
        {
            text.AppendLine($"    {loop}");
        }

        text.AppendLine("  dependencies (type references; fewest first, the cheapest to cut):");
        foreach (var edge in edges)
        {
            text.AppendLine($"    {edge.From} → {edge.To} ({edge.References.Count}):");
            foreach (var example in edge.Examples(examples))
            {
                text.AppendLine($"      {example}");
            }
        }

        return text.ToString();
    }

    private static string[] Rotated(string[] loop)
    {
        var first = Array.IndexOf(loop, loop.Min(StringComparer.Ordinal));
        return [.. loop[first..], .. loop[..first]];
    }

    private sealed class Tarjan(FolderGraph graph)
    {
        private readonly Dictionary<string, (int Index, int Low)> _marks = new(StringComparer.Ordinal);
        private readonly Stack<string> _stack = new();
        private readonly HashSet<string> _onStack = new(StringComparer.Ordinal);

        public List<List<string>> Components { get; } = [];

        public void Visit(string folder)
        {
            if (_marks.ContainsKey(folder))
            {
                return;
            }

            var index = _marks.Count;
            _marks[folder] = (index, index);
            _stack.Push(folder);
            _onStack.Add(folder);
            foreach (var next in graph.DependenciesOf(folder))
            {
                if (!_marks.ContainsKey(next))
                {
                    Visit(next);
                    _marks[folder] = (index, Math.Min(_marks[folder].Low, _marks[next].Low));
                }
                else if (_onStack.Contains(next))
                {
                    _marks[folder] = (index, Math.Min(_marks[folder].Low, _marks[next].Index));
                }
            }

            if (_marks[folder].Low != index)
            {
                return;
            }

            var component = new List<string>();
            string member;
            do
            {
                member = _stack.Pop();
                _onStack.Remove(member);
                component.Add(member);
            }
            while (member != folder);

            Components.Add(component);
        }
    }
}

/// <summary>Folder From depends on folder To through these type references.</summary>
internal sealed class FolderEdge(string from, string to)
{
    public string From { get; } = from;

    public string To { get; } = to;

    public List<TypeReferenceExample> References { get; } = [];

    /// <summary>
    /// A few of its references, direct ones first, from as many different types as possible, in name order (the same
    /// ones every run).
    /// </summary>
    public IEnumerable<TypeReferenceExample> Examples(int count) =>
        References.OrderBy(r => r.Via.Direct ? 0 : 1).ThenBy(r => r.ToString(), StringComparer.Ordinal)
            .GroupBy(r => r.From).Select(g => g.First())
            .OrderBy(r => r.Via.Direct ? 0 : 1).ThenBy(r => r.ToString(), StringComparer.Ordinal)
            .Take(count);
}

/// <summary>Type From references type To, e.g. by calling one of its methods.</summary>
internal sealed record TypeReferenceExample(TypeDefinition From, TypeDefinition To, Via Via)
{
    public override string ToString() => $"{Names.Of(From)} → {Names.Of(To)} ({Via})";
}
