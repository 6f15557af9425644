using System.Collections;

namespace LoadKit.Stats;

/// <summary>
/// A recorder's points, one per second, appended by its collector only. A reading (<see cref="Read"/>) costs the
/// same at any length of run: it shares the points, in fixed chunks that never move, instead of copying them, so the
/// statistics an engine reports each second do not grow with the run. A reading never changes: points appended later
/// are not in it.
/// </summary>
internal sealed class TimelinePoints<T>
{
    private const int ChunkSize = 256;
    private T[][] _chunks = [];
    private int _count;

    /// <summary>Appends a point. Collector thread only.</summary>
    public void Add(T point)
    {
        var chunk = _count / ChunkSize;
        if (chunk == _chunks.Length)
        {
            // A new array of chunks: readings made before keep the old one, whose chunks are the same.
            var chunks = new T[Math.Max(4, _chunks.Length * 2)][];
            Array.Copy(_chunks, chunks, _chunks.Length);
            _chunks = chunks;
        }

        (_chunks[chunk] ??= new T[ChunkSize])[_count % ChunkSize] = point;
        _count++;
    }

    /// <summary>The points so far. Collector thread only (or once it has stopped); the reading may go to any thread.</summary>
    public IReadOnlyList<T> Read() => _count == 0 ? [] : new Reading(_chunks, _count);

    private sealed class Reading(T[][] chunks, int count) : IReadOnlyList<T>
    {
        public T this[int index] => (uint)index < (uint)count
            ? chunks[index / ChunkSize][index % ChunkSize]
            : throw new ArgumentOutOfRangeException(nameof(index), index, $"timeline index = {index}: allowed 0 to {count - 1}.");

        public int Count => count;

        public IEnumerator<T> GetEnumerator()
        {
            for (var i = 0; i < count; i++)
            {
                yield return chunks[i / ChunkSize][i % ChunkSize];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
