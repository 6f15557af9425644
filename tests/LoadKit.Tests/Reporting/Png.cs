using System.Buffers.Binary;
using System.IO.Compression;

namespace LoadKit.Tests.Reporting;

/// <summary>Just enough of a PNG decoder to look at a screenshot: 8-bit RGB or RGBA, not interlaced.</summary>
internal sealed class Png
{
    private Png(int width, int height, byte[] pixels, int channels) => (Width, Height, Pixels, Channels) = (width, height, pixels, channels);

    public int Width { get; }

    public int Height { get; }

    private byte[] Pixels { get; }

    private int Channels { get; }

    public static Png Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (!bytes.AsSpan(0, 8).SequenceEqual(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }))
        {
            throw new InvalidDataException($"{path} is not a PNG file.");
        }

        int width = 0, height = 0, channels = 0;
        using var data = new MemoryStream();
        for (var offset = 8; offset < bytes.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset));
            var type = System.Text.Encoding.ASCII.GetString(bytes, offset + 4, 4);
            var body = bytes.AsSpan(offset + 8, length);
            if (type == "IHDR")
            {
                (width, height) = (BinaryPrimitives.ReadInt32BigEndian(body), BinaryPrimitives.ReadInt32BigEndian(body[4..]));
                channels = body[9] switch { 2 => 3, 6 => 4, var other => throw new InvalidDataException($"colour type {other} is not read here") };
                if (body[8] != 8 || body[12] != 0)
                {
                    throw new InvalidDataException("only 8-bit, non-interlaced PNGs are read here");
                }
            }
            else if (type == "IDAT")
            {
                data.Write(body);
            }

            offset += 12 + length;
        }

        data.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(data, CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }

        return new Png(width, height, Unfilter(inflated.ToArray(), width, height, channels), channels);
    }

    /// <summary>The share of pixels that are not (nearly) the page's white background.</summary>
    public double InkShare()
    {
        long ink = 0;
        for (var i = 0; i < Pixels.Length; i += Channels)
        {
            if (Pixels[i] < 235 || Pixels[i + 1] < 235 || Pixels[i + 2] < 235)
            {
                ink++;
            }
        }

        return ink / (double)(Width * Height);
    }

    private static byte[] Unfilter(byte[] raw, int width, int height, int channels)
    {
        var stride = width * channels;
        var pixels = new byte[stride * height];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            var source = raw.AsSpan((y * (stride + 1)) + 1, stride);
            var row = pixels.AsSpan(y * stride, stride);
            var above = y > 0 ? pixels.AsSpan((y - 1) * stride, stride) : new byte[stride];
            for (var x = 0; x < stride; x++)
            {
                int left = x >= channels ? row[x - channels] : 0, up = above[x], corner = x >= channels ? above[x - channels] : 0;
                row[x] = (byte)(source[x] + filter switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    4 => Paeth(left, up, corner),
                    _ => throw new InvalidDataException($"filter {filter}"),
                });
            }
        }

        return pixels;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
