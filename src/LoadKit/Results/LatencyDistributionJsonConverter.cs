using System.Text.Json;
using System.Text.Json.Serialization;

namespace LoadKit.Results;

/// <summary>
/// Writes a distribution as its exact count, sum, minimum and maximum in microseconds plus the encoded histogram;
/// the percentiles are written too, for people and scripts that read the file, and ignored on reading.
/// </summary>
internal sealed class LatencyDistributionJsonConverter : JsonConverter<LatencyDistribution>
{
    public override LatencyDistribution Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"A latency distribution must be a JSON object, not {reader.TokenType}.");
        }

        long count = 0, sum = 0, min = 0, max = 0;
        byte[]? histogram = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var property = reader.GetString();
            reader.Read();
            switch (property)
            {
                case "count": count = reader.GetInt64(); break;
                case "sumMicroseconds": sum = reader.GetInt64(); break;
                case "minMicroseconds": min = reader.GetInt64(); break;
                case "maxMicroseconds": max = reader.GetInt64(); break;
                case "histogram": histogram = reader.GetBytesFromBase64(); break;
                default: reader.Skip(); break;
            }
        }

        if (count == 0)
        {
            return LatencyDistribution.Empty;
        }

        if (histogram is null)
        {
            throw new JsonException($"A latency distribution with count {count} has no 'histogram'.");
        }

        var distribution = LatencyDistribution.Decode(histogram, sum, min, max);
        if (distribution.Count != count)
        {
            throw new JsonException($"A latency distribution says count {count} but its histogram holds {distribution.Count} samples.");
        }

        return distribution;
    }

    public override void Write(Utf8JsonWriter writer, LatencyDistribution value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteNumber("count", value.Count);
        if (value.Count > 0)
        {
            writer.WriteNumber("minMs", value.Min.TotalMilliseconds);
            writer.WriteNumber("meanMs", value.Mean.TotalMilliseconds);
            writer.WriteNumber("p50Ms", value.P50.TotalMilliseconds);
            writer.WriteNumber("p95Ms", value.P95.TotalMilliseconds);
            writer.WriteNumber("p99Ms", value.P99.TotalMilliseconds);
            writer.WriteNumber("maxMs", value.Max.TotalMilliseconds);
            writer.WriteNumber("sumMicroseconds", value.SumMicroseconds);
            writer.WriteNumber("minMicroseconds", value.MinMicroseconds);
            writer.WriteNumber("maxMicroseconds", value.MaxMicroseconds);
            writer.WriteBase64String("histogram", value.EncodeHistogram());
        }

        writer.WriteEndObject();
    }
}
