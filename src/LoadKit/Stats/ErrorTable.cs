using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace LoadKit.Stats;

/// <summary>
/// Counts error messages. Distinct messages are capped so a failure text that embeds ids cannot grow memory
/// without bound; messages past the cap are counted under <see cref="OtherErrors"/>.
/// </summary>
internal sealed class ErrorTable
{
    public const int MaxDistinct = 100;
    public const string OtherErrors = "(other errors: more distinct messages than the table keeps)";

    private readonly ConcurrentDictionary<string, StrongBox<long>> _counts = new(StringComparer.Ordinal);

    public void Add(string message)
    {
        if (!_counts.TryGetValue(message, out var box))
        {
            box = _counts.Count < MaxDistinct
                ? _counts.GetOrAdd(message, static _ => new StrongBox<long>())
                : _counts.GetOrAdd(OtherErrors, static _ => new StrongBox<long>());
        }

        Interlocked.Increment(ref box.Value);
    }

    /// <summary>The errors, most frequent first.</summary>
    public IReadOnlyList<ErrorCount> ToList() =>
        _counts.Select(pair => new ErrorCount(pair.Key, Volatile.Read(ref pair.Value.Value)))
            .OrderByDescending(e => e.Count)
            .ThenBy(e => e.Message, StringComparer.Ordinal)
            .ToArray();
}
