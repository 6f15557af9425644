using System.Buffers;

namespace LoadKit.Results;

/// <summary>
/// A distribution's non-empty buckets packed as bytes: for each, in ascending order, the step from the previous
/// bucket's index (HdrHistogram's counts index, <see cref="HistogramCodec.IndexOf"/>) and its count, both unsigned
/// LEB128. About 2 bytes a bucket where a reported value and a cumulative count as longs took 16: a run keeps one
/// distribution per step and second, and an hour of them at 2,000/s held a gigabyte in the controller.
/// </summary>
internal static class PackedBuckets
{
    /// <summary>Reads packed buckets forward. A plain struct, so that a merge can hold one per part in an array.</summary>
    public struct Reader(byte[] packed)
    {
        private int _at;

        /// <summary>The current bucket's counts index (valid after <see cref="Next"/> returned true).</summary>
        public int Index { get; private set; } = -1;

        /// <summary>The current bucket's count.</summary>
        public long Count { get; private set; }

        /// <summary>Whether <see cref="Next"/> ran past the last bucket.</summary>
        public bool Done { get; private set; }

        /// <summary>Moves to the next bucket; false (and <see cref="Done"/>) after the last.</summary>
        public bool Next()
        {
            if (_at >= packed.Length)
            {
                Done = true;
                return false;
            }

            Index += (int)Get(packed, ref _at);
            Count = (long)Get(packed, ref _at);
            return true;
        }

        private static ulong Get(byte[] bytes, ref int at)
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = bytes[at++];
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }
        }
    }

    /// <summary>Packs buckets given in ascending index order into a pooled buffer; <see cref="ToArray"/> returns it to the pool.</summary>
    public struct Writer(int capacity)
    {
        private byte[] _bytes = ArrayPool<byte>.Shared.Rent(Math.Max(16, capacity));
        private int _length;
        private int _previous = -1;

        /// <summary>The samples of the buckets added.</summary>
        public long Total { get; private set; }

        /// <summary>Adds a bucket with a count above zero, at an index above the previous one's.</summary>
        public void Add(int index, long count)
        {
            if (_length + 20 > _bytes.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(_bytes.Length * 2);
                _bytes.AsSpan(0, _length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_bytes);
                _bytes = larger;
            }

            Put((ulong)(index - _previous));
            Put((ulong)count);
            _previous = index;
            Total += count;
        }

        /// <summary>The packed bytes; the writer is done with after this.</summary>
        public byte[] ToArray()
        {
            var packed = _bytes.AsSpan(0, _length).ToArray();
            ArrayPool<byte>.Shared.Return(_bytes);
            _bytes = [];
            return packed;
        }

        private void Put(ulong value)
        {
            while (value >= 0x80)
            {
                _bytes[_length++] = (byte)(value | 0x80);
                value >>= 7;
            }

            _bytes[_length++] = (byte)value;
        }
    }
}
