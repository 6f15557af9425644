using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;

namespace LoadKit.Results;

/// <summary>
/// HdrHistogram's compressed V2 encoding (the format HdrHistogram's own EncodeIntoCompressedByteBuffer writes and its
/// decoders read), written from and read into a distribution's sparse buckets directly. HdrHistogram's encoder and
/// decoder go through a full histogram of LoadKit's shape (about 190 KB, a large-object allocation each time): a
/// controller that reads dozens of histograms a second from every worker would spend its time collecting them.
/// </summary>
internal static class HistogramCodec
{
    private const int CompressedCookie = 0x1c849314;
    private const int Cookie = 0x1c849313;
    private const int HeaderBytes = 40;

    // The layout of Histograms' shape (1 µs to 1 h, 3 significant digits): 2048 sub-buckets, unit 1.
    private const int SubBucketHalfCountMagnitude = 10;
    private const int SubBucketHalfCount = 1 << SubBucketHalfCountMagnitude;
    private const long SubBucketMask = (2L * SubBucketHalfCount) - 1;
    private const int LeadingZeroCountBase = 64 - SubBucketHalfCountMagnitude - 1;

    // One past the highest index of the shape's range (1 h in µs).
    private static readonly int CountsLength = IndexOf(Histograms.HighestMicroseconds) + 1;

    /// <summary>The counts-array index of a value (as HdrHistogram computes it for unit magnitude 0).</summary>
    public static int IndexOf(long value)
    {
        var bucket = LeadingZeroCountBase - BitOperations.LeadingZeroCount((ulong)(value | SubBucketMask));
        var subBucket = (int)(value >> bucket);
        return ((bucket + 1) << SubBucketHalfCountMagnitude) + (subBucket - SubBucketHalfCount);
    }

    /// <summary>The highest value counted at an index: what a distribution reports for its bucket.</summary>
    public static long HighestValueAt(int index)
    {
        var bucket = (index >> SubBucketHalfCountMagnitude) - 1;
        long subBucket = (index & (SubBucketHalfCount - 1)) + SubBucketHalfCount;
        if (bucket < 0)
        {
            subBucket -= SubBucketHalfCount;
            bucket = 0;
        }

        return (subBucket << bucket) + (1L << bucket) - 1;
    }

    /// <summary>Encodes packed buckets (<see cref="PackedBuckets"/>) as a compressed V2 histogram.</summary>
    public static byte[] Encode(byte[] packed)
    {
        // ZigZag LEB128 counts; a run of empty buckets is one negative number.
        var payload = new List<byte>(packed.Length + 16);
        var next = 0;
        var buckets = new PackedBuckets.Reader(packed);
        while (buckets.Next())
        {
            if (buckets.Index > next)
            {
                PutZigZag(payload, -(long)(buckets.Index - next));
            }

            PutZigZag(payload, buckets.Count);
            next = buckets.Index + 1;
        }

        var plain = new byte[HeaderBytes + payload.Count];
        BinaryPrimitives.WriteInt32BigEndian(plain, Cookie);
        BinaryPrimitives.WriteInt32BigEndian(plain.AsSpan(4), payload.Count);
        BinaryPrimitives.WriteInt32BigEndian(plain.AsSpan(8), 0); // normalizing index offset
        BinaryPrimitives.WriteInt32BigEndian(plain.AsSpan(12), Histograms.SignificantDigits);
        BinaryPrimitives.WriteInt64BigEndian(plain.AsSpan(16), Histograms.LowestMicroseconds);
        BinaryPrimitives.WriteInt64BigEndian(plain.AsSpan(24), Histograms.HighestMicroseconds);
        BinaryPrimitives.WriteDoubleBigEndian(plain.AsSpan(32), 1.0);
        payload.CopyTo(plain, HeaderBytes);

        using var compressed = new MemoryStream(plain.Length + 16);
        compressed.Write(new byte[8]);
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            zlib.Write(plain);
        }

        var bytes = compressed.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(bytes, CompressedCookie);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), bytes.Length - 8);
        return bytes;
    }

    /// <summary>Decodes a compressed V2 histogram of LoadKit's shape into packed buckets (<see cref="PackedBuckets"/>) and their total count.</summary>
    /// <exception cref="FormatException">The bytes are not such a histogram; the message says what is wrong.</exception>
    public static (byte[] Packed, long Count) Decode(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length < 8 || BinaryPrimitives.ReadInt32BigEndian(encoded) != CompressedCookie)
        {
            throw new FormatException($"histogram = {encoded.Length} bytes: not an HdrHistogram compressed V2 encoding (cookie 0x{CompressedCookie:x8}).");
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(encoded[4..]);
        if (length < 0 || length > encoded.Length - 8)
        {
            throw new FormatException($"histogram = {encoded.Length} bytes: says {length} compressed bytes follow its 8-byte header.");
        }

        byte[] plain;
        try
        {
            using var input = new MemoryStream(encoded.Slice(8, length).ToArray());
            using var zlib = new ZLibStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream();
            zlib.CopyTo(output);
            plain = output.ToArray();
        }
        catch (InvalidDataException exception)
        {
            throw new FormatException($"histogram = {encoded.Length} bytes: its compressed part does not inflate: {exception.Message}", exception);
        }

        if (plain.Length < HeaderBytes || (BinaryPrimitives.ReadInt32BigEndian(plain) & ~0xf0) != (Cookie & ~0xf0))
        {
            throw new FormatException($"histogram = {plain.Length} inflated bytes: no V2 histogram header.");
        }

        var payloadLength = BinaryPrimitives.ReadInt32BigEndian(plain.AsSpan(4));
        var digits = BinaryPrimitives.ReadInt32BigEndian(plain.AsSpan(12));
        var lowest = BinaryPrimitives.ReadInt64BigEndian(plain.AsSpan(16));
        var highest = BinaryPrimitives.ReadInt64BigEndian(plain.AsSpan(24));
        if (BinaryPrimitives.ReadInt32BigEndian(plain.AsSpan(8)) != 0 || digits != Histograms.SignificantDigits
            || lowest != Histograms.LowestMicroseconds || highest != Histograms.HighestMicroseconds)
        {
            throw new FormatException(
                $"histogram = {lowest} to {highest}, {digits} digits: allowed only LoadKit's shape, {Histograms.LowestMicroseconds} to {Histograms.HighestMicroseconds} µs, {Histograms.SignificantDigits} digits (others do not merge exactly).");
        }

        if (payloadLength < 0 || payloadLength > plain.Length - HeaderBytes)
        {
            throw new FormatException($"histogram = {plain.Length} inflated bytes: says {payloadLength} bytes of counts follow its header.");
        }

        var buckets = new PackedBuckets.Writer(payloadLength);
        var at = HeaderBytes;
        var end = HeaderBytes + payloadLength;
        long index = 0;
        while (at < end)
        {
            var count = GetZigZag(plain, ref at, end);
            if (count < 0)
            {
                index -= count;
                continue;
            }

            if (count > 0)
            {
                if (index >= CountsLength)
                {
                    throw new FormatException($"histogram: a count at index {index}, beyond LoadKit's shape.");
                }

                buckets.Add((int)index, count);
            }

            index++;
        }

        var total = buckets.Total;
        return (buckets.ToArray(), total);
    }

    private static void PutZigZag(List<byte> target, long value)
    {
        var zigZag = (ulong)((value << 1) ^ (value >> 63));
        for (var i = 0; i < 8 && zigZag >= 0x80; i++)
        {
            target.Add((byte)(zigZag | 0x80));
            zigZag >>= 7;
        }

        target.Add((byte)zigZag); // the 9th byte, when reached, holds the last 8 bits
    }

    private static long GetZigZag(byte[] source, ref int at, int end)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            if (at >= end)
            {
                throw new FormatException("histogram: its counts end inside a number.");
            }

            var b = source[at++];
            if (shift == 56)
            {
                value |= (ulong)b << 56;
                break;
            }

            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                break;
            }
        }

        return (long)(value >> 1) ^ -(long)(value & 1);
    }
}
