using System.Globalization;
using LoadKit.Cli.CommandLine;
using LoadKit.Cluster;
using LoadKit.Cluster.Protocol;

namespace LoadKit.Cli.Workers;

/// <summary><c>loadkit workers</c>: the workers registered in etcd now, with their state, address, protocol and labels.</summary>
internal static class WorkersCommand
{
    public const string Usage = """
        loadkit workers [--etcd URL[,URL...]] [--prefix NAME]

          Lists the workers registered in etcd under /PREFIX/workers/: their id, state (idle: free for a run; busy: in
          a run), address, worker protocol, LoadKit version, cores and labels. A worker of another protocol than this
          tool's is listed but not used by its runs.

          --etcd URL[,URL...]     etcd endpoints the workers register in; or LOADKIT_ETCD
          --prefix NAME           the workers' etcd key prefix (default loadkit); or LOADKIT_PREFIX

          etcd's TLS and user settings come from LOADKIT_ETCD_CA, LOADKIT_ETCD_CERT, LOADKIT_ETCD_KEY, LOADKIT_ETCD_USER
          and LOADKIT_ETCD_PASSWORD(_FILE), as for a run; the workers' token is not needed.

        Exit code: 0 listed (also when none is registered); 2 bad input; 3 etcd did not answer or refused the settings.
        """;

    private static readonly IReadOnlyList<OptionSpec> Options =
    [
        new("--etcd", "comma-separated http:// or https:// etcd endpoints"),
        new("--prefix", "the workers' etcd key prefix"),
    ];

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var arguments = CommandArguments.Parse("loadkit workers", args, Options);
        if (arguments.Help)
        {
            await output.WriteLineAsync(Usage);
            return ExitCode.Passed;
        }

        if (arguments.Operands.Count > 0)
        {
            arguments.Problems.Add($"{string.Join(" ", arguments.Operands.Select(o => $"'{o}'"))}: loadkit workers takes no operand; give etcd with --etcd URL.");
        }

        string? Lookup(string variable) => variable switch
        {
            ClusterOptions.EtcdVariable => arguments.Value("--etcd") ?? Environment.GetEnvironmentVariable(variable),
            ClusterOptions.PrefixVariable => arguments.Value("--prefix") ?? Environment.GetEnvironmentVariable(variable),
            // Listing reads etcd only: the workers' token is not used, so none is required.
            ClusterOptions.TokenVariable => new string('-', ClusterOptions.MinTokenLength),
            ClusterOptions.TokenFileVariable or ClusterOptions.WorkersVariable => null,
            _ => Environment.GetEnvironmentVariable(variable),
        };
        string Source(string variable) =>
            variable == ClusterOptions.EtcdVariable && arguments.Has("--etcd") ? "option --etcd"
            : variable == ClusterOptions.PrefixVariable && arguments.Has("--prefix") ? "option --prefix"
            : $"environment variable {variable}";

        ClusterOptions? cluster = null;
        try
        {
            cluster = ClusterOptions.Parse(Lookup, Source);
            if (cluster is null)
            {
                arguments.Problems.Add($"--etcd: missing; give the etcd endpoints the workers register in (or {ClusterOptions.EtcdVariable}).");
            }
        }
        catch (ArgumentException exception)
        {
            arguments.Problems.Add(exception.Message);
        }

        EtcdAccess? etcd = null;
        try
        {
            etcd = cluster is null ? null : EtcdAccess.From(cluster);
        }
        catch (ArgumentException exception)
        {
            arguments.Problems.Add(exception.Message);
        }

        if (arguments.Problems.Count > 0 || etcd is null || cluster is null)
        {
            return await CommandLine.Usage.FailAsync(error, "loadkit workers", arguments.Problems);
        }

        IReadOnlyList<WorkerInfo> workers;
        try
        {
            workers = await etcd.ListWorkersAsync(cluster.Prefix, cancellationToken);
        }
        catch (DistributedRunException exception)
        {
            await error.WriteLineAsync($"loadkit workers: {exception.Message}");
            return ExitCode.RunError;
        }
        catch (System.Text.Json.JsonException exception)
        {
            await error.WriteLineAsync($"loadkit workers: a key under /{cluster.Prefix}/workers/ is not a worker registration: {exception.Message}");
            return ExitCode.RunError;
        }

        await output.WriteAsync(Render(workers, cluster));
        return ExitCode.Passed;
    }

    /// <summary>The table: a heading with the counts, then a row per worker, columns aligned.</summary>
    internal static string Render(IReadOnlyList<WorkerInfo> workers, ClusterOptions cluster)
    {
        var idle = workers.Count(w => w.State == WorkerInfo.Idle);
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        writer.WriteLine($"Workers under /{cluster.Prefix}/workers/ in etcd {string.Join(",", cluster.Etcd)}: {workers.Count} " +
            $"({idle} idle, {workers.Count - idle} busy)");
        if (workers.Count == 0)
        {
            writer.WriteLine("  none registered: start one with loadkit-worker --etcd URL" + (cluster.Prefix == "loadkit" ? "" : $" --prefix {cluster.Prefix}"));
            return writer.ToString();
        }

        string[][] rows =
        [
            ["ID", "STATE", "ADDRESS", "PROTOCOL", "VERSION", "CORES", "LABELS"],
            .. workers.Select(w => new[]
            {
                w.Id,
                w.State,
                w.Address,
                w.Protocol == ProtocolVersion.Current ? ProtocolVersion.Describe(w.Protocol) : $"{ProtocolVersion.Describe(w.Protocol)} (not used: this tool speaks {ProtocolVersion.Current})",
                w.Version,
                w.Cores.ToString(CultureInfo.InvariantCulture),
                w.Labels.Count == 0 ? "-" : string.Join(",", w.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")),
            }),
        ];
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            writer.WriteLine("  " + string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))));
        }

        return writer.ToString();
    }
}
