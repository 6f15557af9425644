using System.Text.Json;

namespace LoadKit.Cluster.Protocol;

/// <summary>
/// What a worker registers under <c>/&lt;prefix&gt;/workers/&lt;id&gt;</c> in etcd, as JSON, for as long as its lease lives.
/// </summary>
/// <param name="Id">The worker's id, unique per process.</param>
/// <param name="Address">Where its gRPC service listens, e.g. <c>http://127.0.0.1:41234</c>.</param>
/// <param name="Version">The LoadKit version it runs.</param>
/// <param name="Cores">The processors it has.</param>
/// <param name="Labels">Free labels given at start (e.g. zone=a).</param>
/// <param name="State"><c>idle</c> or <c>busy</c>.</param>
public sealed record WorkerInfo(string Id, string Address, string Version, int Cores, IReadOnlyDictionary<string, string> Labels, string State)
{
    /// <summary>The <see cref="State"/> of a worker that runs nothing and may be claimed.</summary>
    public const string Idle = "idle";

    /// <summary>The <see cref="State"/> of a worker that runs a run.</summary>
    public const string Busy = "busy";

    /// <summary>The controller-worker protocol it speaks (<see cref="ProtocolVersion"/>); 0 in registrations that predate it.</summary>
    public int Protocol { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The etcd key of worker <paramref name="id"/> under <paramref name="prefix"/>.</summary>
    public static string Key(string prefix, string id) => $"/{prefix.Trim('/')}/workers/{id}";

    /// <summary>The registration as the worker writes it to etcd.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>A registration read from etcd.</summary>
    /// <exception cref="JsonException">The value is not a worker registration.</exception>
    public static WorkerInfo FromJson(string json) =>
        JsonSerializer.Deserialize<WorkerInfo>(json, Json) ?? throw new JsonException("A worker registration is 'null'.");
}
