using System.Globalization;

namespace LoadKit.Cluster.Protocol;

/// <summary>
/// The version of the protocol between controller and worker (worker.proto, claims in etcd). The controller sends it in
/// Prepare, the worker in Ready and in its etcd registration; a controller skips registered workers that speak another,
/// and either side refuses a run whose other side does, naming both versions, before anything runs.
/// </summary>
public static class ProtocolVersion
{
    /// <summary>
    /// 1: Prepare and Ready carry the version, and a worker runs only the run that holds its claim in etcd. 2: a
    /// take-over names a part of a part (cuts), its id and its exact iteration counts; snapshots report each part's
    /// progress under its id. 3: a snapshot carries only what is new since the previous one, in protobuf
    /// (<c>ShareInterval</c>, histograms in HdrHistogram's compressed encoding), no longer the whole result as JSON;
    /// and Prepare may name a plan file in the artifact (plan_file) instead of a test assembly.
    /// </summary>
    public const int Current = 3;

    /// <summary>A version as an error message names it; 0 is what a LoadKit from before versions were exchanged sends.</summary>
    public static string Describe(int version) =>
        version == 0 ? "none (a LoadKit from before protocol versions)" : version.ToString(CultureInfo.InvariantCulture);

    /// <summary>The error of a mismatch: names both sides' versions and what to do.</summary>
    public static string Mismatch(string side, int version, string ownSide, int ownVersion) =>
        $"{side} speaks LoadKit worker protocol {Describe(version)}, {ownSide} protocol {Describe(ownVersion)}: " +
        "run the same LoadKit version on the controller (the test project's LoadKit package) and on the workers (loadkit-worker).";
}
