using System.Collections.Concurrent;
using Google.Protobuf;
using LoadKit.TestTargets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LoadKit.Tests.Telemetry;

/// <summary>
/// A small OTLP/HTTP metrics receiver on 127.0.0.1: Kestrel accepting <c>POST /v1/metrics</c> (http/protobuf). It
/// decodes each body's metric names and data points (attributes and value) with a hand-written reader of the few
/// OTLP messages involved, since the OpenTelemetry.Proto types are not served here.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedExport> _exports = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<ReceivedExport> Exports => [.. _exports];

    public static async Task<OtlpReceiver> StartAsync()
    {
        var app = LoopbackApp.Create();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/metrics", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            var bytes = body.ToArray();
            receiver._exports.Enqueue(new ReceivedExport(request.ContentType ?? "", bytes, OtlpMetrics.Decode(bytes)));
            return Microsoft.AspNetCore.Http.Results.Bytes([], "application/x-protobuf");
        });
        receiver.BaseAddress = (await LoopbackApp.StartAsync(app))[0];
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>One POST: its content type, its raw body, and the data points decoded from it.</summary>
internal sealed record ReceivedExport(string ContentType, byte[] Body, IReadOnlyList<OtlpPoint> Points);

/// <summary>One data point: its metric's name and unit, its attributes, and its value (a sum's or gauge's value, or a histogram's count).</summary>
internal sealed record OtlpPoint(string Metric, string Unit, IReadOnlyDictionary<string, string> Attributes, double Value, double? Sum);

/// <summary>
/// Reads <c>ExportMetricsServiceRequest</c> → <c>ResourceMetrics</c>(2: scope_metrics) → <c>ScopeMetrics</c>(2: metrics) →
/// <c>Metric</c>(1 name, 3 unit, 5 gauge, 7 sum, 9 histogram) → data points (field 1) with attributes
/// (7 in number points, 9 in histogram points), per opentelemetry-proto's metrics.proto.
/// </summary>
internal static class OtlpMetrics
{
    public static IReadOnlyList<OtlpPoint> Decode(byte[] body)
    {
        var points = new List<OtlpPoint>();
        foreach (var resource in Fields(body, 1))
        {
            foreach (var scope in Fields(resource, 2))
            {
                foreach (var metric in Fields(scope, 2))
                {
                    string name = "", unit = "";
                    var input = new CodedInputStream(metric);
                    uint tag;
                    while ((tag = input.ReadTag()) != 0)
                    {
                        switch (WireFormat.GetTagFieldNumber(tag))
                        {
                            case 1: name = input.ReadString(); break;
                            case 3: unit = input.ReadString(); break;
                            case 5 or 7: points.AddRange(Fields(input.ReadBytes().ToByteArray(), 1).Select(p => NumberPoint(name, unit, p))); break;
                            case 9: points.AddRange(Fields(input.ReadBytes().ToByteArray(), 1).Select(p => HistogramPoint(name, unit, p))); break;
                            default: input.SkipLastField(); break;
                        }
                    }
                }
            }
        }

        return points;
    }

    private static OtlpPoint NumberPoint(string metric, string unit, byte[] point)
    {
        var attributes = new Dictionary<string, string>();
        double value = 0;
        var input = new CodedInputStream(point);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 4: value = input.ReadDouble(); break;
                case 6: value = input.ReadSFixed64(); break;
                case 7: Attribute(input.ReadBytes().ToByteArray(), attributes); break;
                default: input.SkipLastField(); break;
            }
        }

        return new OtlpPoint(metric, unit, attributes, value, null);
    }

    private static OtlpPoint HistogramPoint(string metric, string unit, byte[] point)
    {
        var attributes = new Dictionary<string, string>();
        double count = 0;
        double? sum = null;
        var input = new CodedInputStream(point);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 4: count = input.ReadFixed64(); break;
                case 5: sum = input.ReadDouble(); break;
                case 9: Attribute(input.ReadBytes().ToByteArray(), attributes); break;
                default: input.SkipLastField(); break;
            }
        }

        return new OtlpPoint(metric, unit, attributes, count, sum);
    }

    /// <summary>A <c>KeyValue</c> (1 key, 2 AnyValue) whose value is a string (AnyValue field 1).</summary>
    private static void Attribute(byte[] keyValue, Dictionary<string, string> into)
    {
        var key = "";
        var value = "";
        var input = new CodedInputStream(keyValue);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: key = input.ReadString(); break;
                case 2: value = Fields(input.ReadBytes().ToByteArray(), 1).Select(b => System.Text.Encoding.UTF8.GetString(b)).FirstOrDefault() ?? ""; break;
                default: input.SkipLastField(); break;
            }
        }

        into[key] = value;
    }

    /// <summary>The length-delimited fields numbered <paramref name="number"/> of a message.</summary>
    private static List<byte[]> Fields(byte[] message, int number)
    {
        var fields = new List<byte[]>();
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                fields.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return fields;
    }
}
