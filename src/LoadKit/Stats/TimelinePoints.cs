using System.Collections;

namespace LoadKit.Stats;

/// <summary>
/// A recorder's points, one per second, appended by its collector only. A reading (<see cref="Read"/>) costs the
/// same at any length of run: it shares the points, in fixed chunks that never move, instead of copying them, so the
/// statistics an engine reports each second do not grow with the run. A reading never changes: points appended later
/// are not in it. A run whose points are sent as they come (a worker's) lets go of the old ones
/// (<see cref="ForgetBefore"/>), so its memory does not grow with the run either.
/// </summary>
internal sealed class TimelinePoints<T>(Func<T, int> secondOf)
{
    private const int ChunkSize = 256;
    private T[][] _chunks = [];
    private int _count;
    private int _forgetBefore = int.MinValue;

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

        // Whole chunks of forgotten seconds go; the chunk being filled stays. A new array again, so readings made
        // before keep every point they had.
        var forgetBefore = Volatile.Read(ref _forgetBefore);
        var first = 0;
        while (first < chunk && secondOf(_chunks[first][ChunkSize - 1]) < forgetBefore)
        {
            first++;
        }

        if (first > 0)
        {
            _chunks = _chunks[first..];
            _count -= first * ChunkSize;
        }
    }

    /// <summary>
    /// Lets the points of seconds before <paramref name="second"/> go (in whole chunks, on a later <see cref="Add"/>):
    /// they were sent, and nothing reads them again. Readings then start at the first point kept. Any thread.
    /// </summary>
    public void ForgetBefore(int second)
    {
        int current;
        do
        {
            current = Volatile.Read(ref _forgetBefore);
        }
        while (second > current && Interlocked.CompareExchange(ref _forgetBefore, second, current) != current);
    }

    /// <summary>The points so far (from the first one kept). Collector thread only (or once it has stopped); the reading may go to any thread.</summary>
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
