using LoadKit.Cli.CommandLine;

namespace LoadKit.Cli.Running;

/// <summary>
/// The settings of <c>loadkit run</c>: each from its option, else from the environment variable a test run reads
/// (<see cref="RunOptions.ProfileVariable"/>, <see cref="ClusterOptions.EtcdVariable"/>, ...), bound by the same
/// parsers LoadKit.Testing uses (<see cref="RunOptions.Parse"/>, <see cref="ClusterOptions.Parse"/>,
/// <see cref="OtlpExporter.FromEnvironment"/>, <see cref="PrometheusEndpoint.FromEnvironment"/>), so an error names the
/// option or the variable the value came from.
/// </summary>
internal sealed record RunSettings(string PlanPath, RunOptions Run, string ReportDirectory)
{
    /// <summary>The workers to run on (<c>--etcd</c> or <see cref="ClusterOptions.EtcdVariable"/>); null: in this process.</summary>
    public ClusterOptions? Cluster { get; init; }

    /// <summary>Whether the operand is a compiled test assembly (its scenario factories run) rather than a plan file.</summary>
    public bool IsTestAssembly => PlanPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);

    public const string ReportDirectoryVariable = "LOADKIT_REPORT_DIR";

    /// <summary>Scenarios of the plan to run (<c>--scenario</c>); empty: all of them.</summary>
    public IReadOnlyList<string> Scenarios { get; init; } = [];

    public static readonly IReadOnlyList<OptionSpec> Options =
    [
        new("--profile", "smoke or full"),
        new("--scale", "a number above 0, e.g. 0.1 or 2"),
        new("--out", "a folder for the reports"),
        new("--report-dir", "a folder for the reports (the same as --out)"),
        new("--scenario", "the name of a scenario of the plan", Repeatable: true),
        new("--progress", "auto, off, lines or live"),
        new("--etcd", "comma-separated http:// or https:// etcd endpoints"),
        new("--workers", "a whole number of at least 1"),
        new("--token", $"the workers' token, at least {ClusterOptions.MinTokenLength} characters"),
        new("--token-file", "a file holding the workers' token"),
        new("--prefix", "the workers' etcd key prefix"),
        new("--forward", "comma-separated names of environment variables to pass to the workers"),
    ];

    /// <summary>The options that stand for a cluster setting, by its environment variable.</summary>
    private static readonly (string Option, string Variable)[] ClusterOptionNames =
    [
        ("--etcd", ClusterOptions.EtcdVariable),
        ("--workers", ClusterOptions.WorkersVariable),
        ("--token", ClusterOptions.TokenVariable),
        ("--token-file", ClusterOptions.TokenFileVariable),
        ("--prefix", ClusterOptions.PrefixVariable),
        ("--forward", ClusterOptions.ForwardVariable),
    ];

    public const string Usage = """
        loadkit run PLAN|TESTS.dll [options]

          Runs the scenarios of a plan file (YAML or JSON), or those of a compiled test assembly (its scenario
          factories: public static methods without parameters that return a Scenario), in this process or on registered
          workers: shows the progress each second, prints the summary table, writes the reports (report.html,
          summary.md, result.json, steps.csv, timeline.csv) and exits with the verdict of the scenarios' thresholds.

          --profile smoke|full    which load: the scenarios' load (full, default) or their smoke load; or LOADKIT_PROFILE
          --scale X               multiply VUs, rates and iterations by X (above 0; durations stay); or LOADKIT_LOAD_SCALE
          --out DIR               where the reports go (default: loadkit-reports/NAME-TIME below LOADKIT_REPORT_DIR
                                  or the current folder); --report-dir DIR is the same
          --scenario NAME         run only this scenario (by its name, or for a test assembly also its factory
                                  method's name); repeatable (default: all of them)
          --progress MODE         auto (default: after 5 s), off, lines or live; or LOADKIT_PROGRESS

          Across registered workers (loadkit workers lists them). A plan is checked here first, then sent to the
          workers with its feed files, and each compiles it; a test assembly's folder is sent, and each worker calls
          the same factories:
          --etcd URL[,URL...]     etcd endpoints the workers register in; or LOADKIT_ETCD
          --workers N             how many idle workers to use (default 1); or LOADKIT_WORKERS
          --token TOKEN           the workers' shared token (other users of the machine can see it in the process
                                  list: prefer --token-file or LOADKIT_WORKER_TOKEN)
          --token-file PATH       a file holding it; or LOADKIT_WORKER_TOKEN_FILE
          --prefix NAME           the workers' etcd key prefix (default loadkit); or LOADKIT_PREFIX
          --forward NAME[,NAME]   environment variables whose values the workers get (what the factories or the
                                  plan read); or LOADKIT_FORWARD. LOADKIT_HTTP_BASE_ADDRESS always goes with a plan.

          The environment also gives LOADKIT_HTTP_BASE_ADDRESS (for a plan without http.baseAddress),
          LOADKIT_OTLP_ENDPOINT (export the run's metrics) and LOADKIT_PROMETHEUS (serve them to a Prometheus
          scrape, e.g. 127.0.0.1:9464), as in a test run (docs/configuration.md); the other
          cluster settings (TLS, etcd user, worker wait, on worker loss) come from their LOADKIT_ variables.

        Exit code: 0 every threshold passed; 1 a threshold failed; 2 bad input (command line, settings, plan or test
        assembly; nothing was sent to a worker); 3 the run could not be done (no step call succeeded, stopped, no
        workers, a worker refused, an error).
        """;

    /// <summary>Reads the settings; every problem found, each naming the option or variable, the value and what is allowed.</summary>
    public static (RunSettings? Settings, IReadOnlyList<string> Problems) Parse(CommandArguments arguments, Func<string, string?> environment)
    {
        arguments.RefuseBoth("--out", "--report-dir");
        var problems = new List<string>(arguments.Problems);
        if (arguments.NotOneOperand(
                "PLAN",
                "give the path of a plan file or a test assembly, e.g. loadkit run checkout.yaml, loadkit run bin/Release/net10.0/Shop.LoadTests.dll.",
                "one plan file or test assembly at a time.") is { } operand)
        {
            problems.Add(operand);
        }

        // An option wins over its environment variable, as a command line wins over the environment everywhere.
        (string? Value, string Source) Pick(string option, string variable) =>
            arguments.Value(option) is { } value ? (value, $"option {option}") : (environment(variable), $"environment variable {variable}");

        var run = RunOptions.Default;
        var profile = Pick("--profile", RunOptions.ProfileVariable);
        var scale = Pick("--scale", RunOptions.LoadScaleVariable);
        var progress = Pick("--progress", RunOptions.ProgressVariable);
        run = Collect(problems, run, r => RunOptions.Parse(profile.Value, profile.Source, null, "", r));
        run = Collect(problems, run, r => RunOptions.Parse(null, "", scale.Value, scale.Source, r));
        run = Collect(problems, run, r => RunOptions.ParseProgress(progress.Value, progress.Source, r));

        var exporter = Collect(problems, (OtlpExporter?)null, _ => OtlpExporter.FromEnvironment());
        var prometheus = Collect(problems, (PrometheusEndpoint?)null, _ => PrometheusEndpoint.FromEnvironment());
        run = run with { Observers = [.. new IRunObserver?[] { exporter, prometheus }.OfType<IRunObserver>()] };

        var cluster = BindCluster(arguments, environment, problems);

        if (problems.Count > 0)
        {
            return (null, problems);
        }

        var plan = arguments.Operands[0];
        var reports = arguments.Value("--out") ?? arguments.Value("--report-dir") ?? Path.Combine(
            environment(ReportDirectoryVariable) is { Length: > 0 } root ? root : "loadkit-reports",
            $"{Path.GetFileNameWithoutExtension(plan)}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        return (new RunSettings(plan, run, reports) { Scenarios = arguments.Values("--scenario"), Cluster = cluster }, problems);
    }

    /// <summary>
    /// The cluster's settings (<c>--etcd</c>, <c>--workers</c>, <c>--token</c>, ...) of a command, each from its option
    /// (when the command has it) else its environment variable, checked by <see cref="ClusterOptions.Parse"/> as a test
    /// run checks them, so each mistake names the option or variable; null without etcd (problems go to <paramref name="problems"/>).
    /// </summary>
    public static ClusterOptions? BindCluster(CommandArguments arguments, Func<string, string?> environment, List<string> problems)
    {
        var givenCluster = ClusterOptionNames.Where(c => arguments.Has(c.Option)).ToArray();
        string? Cluster(string variable) =>
            ClusterOptionNames.FirstOrDefault(c => c.Variable == variable) is { Option: not null } c && arguments.Value(c.Option) is { } value ? value : environment(variable);
        var cluster = Collect(problems, (ClusterOptions?)null, _ => ClusterOptions.Parse(
            Cluster,
            name => givenCluster.Any(c => c.Variable == name) ? $"option {ClusterOptionNames.First(c => c.Variable == name).Option}" : $"environment variable {name}"));
        if (cluster is null && givenCluster.Length > 0 && Cluster(ClusterOptions.EtcdVariable) is not { Length: > 0 })
        {
            problems.Add($"{string.Join(", ", givenCluster.Select(c => c.Option))}: only for a run across workers, which needs --etcd URL (or {ClusterOptions.EtcdVariable}).");
        }

        return cluster;
    }

    private static T Collect<T>(List<string> problems, T fallback, Func<T, T> parse)
    {
        try
        {
            return parse(fallback);
        }
        catch (ArgumentException exception)
        {
            problems.Add(exception.Message);
            return fallback;
        }
    }
}
