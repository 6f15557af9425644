using System.Globalization;
using System.Text.Json;

namespace LoadKit.Cluster.Protocol;

/// <summary>
/// What a controller writes under <c>/&lt;prefix&gt;/claims/&lt;worker id&gt;</c> in etcd, as JSON, under its own lease:
/// the run that may use that worker. A worker runs only the run its claim names.
/// </summary>
/// <param name="Run">The run's id (the <c>run_id</c> of its Prepare).</param>
/// <param name="Controller">Who claimed: host and process id of the controller.</param>
/// <param name="Since">When the claim was made (the controller's clock).</param>
public sealed record WorkerClaim(string Run, string Controller, DateTimeOffset Since)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The claim key of worker <paramref name="workerId"/> under <paramref name="prefix"/>.</summary>
    public static string Key(string prefix, string workerId) => $"{KeyPrefix(prefix)}{workerId}";

    /// <summary>Where claims live under <paramref name="prefix"/>, e.g. <c>/loadkit/claims/</c>.</summary>
    public static string KeyPrefix(string prefix) => $"/{prefix.Trim('/')}/claims/";

    /// <summary>The claim as the controller writes it to etcd.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The claim, or one naming run "?" when the value is not a claim (written by something else).</summary>
    public static WorkerClaim FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<WorkerClaim>(json, Json) ?? Unknown;
        }
        catch (JsonException)
        {
            return Unknown;
        }
    }

    /// <summary>How an error message names it: <c>run R (controller C, since T UTC)</c>.</summary>
    public string Describe() => $"run {Run} ({Holder()})";

    /// <summary><c>controller C, since T UTC</c>.</summary>
    public string Holder() => $"controller {Controller}, since {Since.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} UTC";

    private static WorkerClaim Unknown => new("?", "?", DateTimeOffset.MinValue);
}
