using System.Globalization;

namespace LoadKit.Worker.NUnitRuns;

/// <summary>
/// The settings of <c>loadkit-worker run</c>, from its command line (and, for the cluster, the environment as
/// <see cref="ClusterOptions"/> reads it). Every problem is collected and reported with the option, the value and what
/// is allowed.
/// </summary>
internal sealed record RunCommandOptions(string AssemblyPath, NUnitLoad Load, RunOptions Run)
{
    public bool List { get; init; }

    /// <summary>Where to write the result as JSON, or null.</summary>
    public string? ResultPath { get; init; }

    public const string Usage = """
        loadkit-worker run TESTS.dll --test NAME [--test NAME ...] [options]

          Runs [Test] methods of a compiled NUnit test assembly (no LoadKit in it) as load: a step per test, each VU
          with its own fixture instance ([OneTimeSetUp] once per VU, [SetUp]/[TearDown] around every call). Prints the
          summary; the exit code says whether the gates passed.

          --test NAME             a test: full name, or its end (Class.Method, Method); repeatable, a step each, in order
          --list                  list the tests that can run, and exit
          --vus N                 virtual users, each running the tests one after the other (default 1)
          --duration D            how long, e.g. 30s, 2m, 500ms (default 10s; with --iterations the longest it may take,
                                  default 10m)
          --iterations N          each VU runs the tests N times, then stops (default: until --duration is over)
          --step-timeout D        the longest a test call may take before it counts as timed out (default 60s)
          --p95 D                 gate: the 95th percentile latency of every test call together is below D
          --max-failure-rate R    gate: at most this share of the test calls fail, from 0 to 1 (0.01 = 1 %)
          --result PATH           also write the result as JSON (LoadResult.ReadFile reads it; reports render it)

          Across registered workers (each gets the assembly's folder and runs its share):
          --etcd URL[,URL...]     etcd endpoints the workers register in; or LOADKIT_ETCD (without: runs here)
          --workers N             how many idle workers to use (default 1; or LOADKIT_WORKERS)
          --prefix NAME           the workers' etcd key prefix (default loadkit; or LOADKIT_PREFIX)
          --token-file PATH       file holding the workers' token; or LOADKIT_WORKER_TOKEN
          --worker-wait D         how long to wait for idle workers (default 60s)
          --forward NAME[,NAME]   environment variables to pass to the workers (the tests' own settings, e.g. a URL)

        Exit code: 0 the run passed its gates; 1 a gate failed; 2 the command line or the tests are not valid;
        3 the run could not be done (no workers, refused, lost).
        """;

    public static (RunCommandOptions? Options, IReadOnlyList<string> Problems) Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var problems = new List<string>();
        string? assembly = null;
        var tests = new List<string>();
        var users = 1;
        TimeSpan? duration = null;
        int? iterations = null;
        TimeSpan? stepTimeout = null;
        var thresholds = new List<Threshold>();
        var cluster = new Dictionary<string, string>(StringComparer.Ordinal);
        var list = false;
        string? resultPath = null;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal))
            {
                if (assembly is null)
                {
                    assembly = name;
                }
                else
                {
                    problems.Add($"'{name}': a second test assembly; give one (and options, which start with --).");
                }

                continue;
            }

            if (name == "--list")
            {
                list = true;
                continue;
            }

            if (i + 1 >= args.Count)
            {
                problems.Add($"{name} needs a value.");
                break;
            }

            var value = args[++i];
            switch (name)
            {
                case "--test":
                    tests.Add(value);
                    break;
                case "--vus":
                    if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var vus) && vus >= 1)
                    {
                        users = vus;
                    }
                    else
                    {
                        problems.Add($"--vus '{value}': allowed: a whole number of at least 1.");
                    }

                    break;
                case "--duration":
                    duration = Duration(name, value, problems) ?? duration;
                    break;
                case "--iterations":
                    if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count >= 1)
                    {
                        iterations = count;
                    }
                    else
                    {
                        problems.Add($"--iterations '{value}': allowed: a whole number of at least 1.");
                    }

                    break;
                case "--step-timeout":
                    stepTimeout = Duration(name, value, problems) ?? stepTimeout;
                    break;
                case "--p95":
                    if (Duration(name, value, problems) is { } p95)
                    {
                        thresholds.Add(Threshold.AllSteps.Percentile(95).Below(p95));
                    }

                    break;
                case "--max-failure-rate":
                    if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) && rate is >= 0 and <= 1)
                    {
                        thresholds.Add(Threshold.AllSteps.FailureRate.AtMost(rate));
                    }
                    else
                    {
                        problems.Add($"--max-failure-rate '{value}': allowed: a share from 0 to 1, e.g. 0.01 for 1 %.");
                    }

                    break;
                case "--result":
                    resultPath = value;
                    break;
                case "--etcd":
                    cluster[ClusterOptions.EtcdVariable] = value;
                    break;
                case "--workers":
                    cluster[ClusterOptions.WorkersVariable] = value;
                    break;
                case "--prefix":
                    cluster[ClusterOptions.PrefixVariable] = value;
                    break;
                case "--token-file":
                    cluster[ClusterOptions.TokenFileVariable] = value;
                    break;
                case "--forward":
                    cluster[ClusterOptions.ForwardVariable] = value;
                    break;
                case "--worker-wait":
                    if (Duration(name, value, problems) is { } wait)
                    {
                        cluster[ClusterOptions.WorkerWaitVariable] = wait.TotalSeconds.ToString(CultureInfo.InvariantCulture);
                    }

                    break;
                default:
                    problems.Add($"{name}: unknown option (see loadkit-worker run --help).");
                    break;
            }
        }

        if (assembly is null)
        {
            problems.Add("TESTS.dll: missing; give the path of a built NUnit test assembly, e.g. bin/Release/net10.0/Shop.Tests.dll.");
        }

        if (tests.Count == 0 && !list)
        {
            problems.Add("--test: missing; name at least one test (--list shows them).");
        }

        ClusterOptions? clusterOptions = null;
        try
        {
            // The options given here come first; the LOADKIT_ variables fill in the rest, as for LoadTest.RunAsync.
            var options = new Dictionary<string, string>(cluster);
            clusterOptions = ClusterOptions.Parse(
                n => options.TryGetValue(n, out var v) ? v : environment(n),
                n => cluster.ContainsKey(n) ? $"option {OptionOf(n)}" : $"environment variable {n}");
        }
        catch (ArgumentException exception)
        {
            problems.Add(exception.Message);
            cluster.Clear(); // the settings were read as a cluster's, and named
        }

        if (clusterOptions is null && cluster.Count > 0)
        {
            problems.Add($"{string.Join(", ", cluster.Keys.Select(OptionOf))}: only for a run across workers, which needs --etcd URL (or {ClusterOptions.EtcdVariable}).");
        }

        if (problems.Count > 0)
        {
            return (null, problems);
        }

        var load = new NUnitLoad(tests, users, duration ?? (iterations is null ? TimeSpan.FromSeconds(10) : LoadKit.Load.DefaultMaxDuration))
        {
            StepTimeout = stepTimeout,
            Iterations = iterations,
        };
        return (new RunCommandOptions(assembly!, load, new RunOptions { Target = clusterOptions is null ? null : new ClusterTarget(clusterOptions), Thresholds = thresholds }) { List = list, ResultPath = resultPath }, problems);
    }

    /// <summary>A duration such as 500ms, 30s, 2m or 1h (a number alone is seconds).</summary>
    internal static TimeSpan? Duration(string option, string value, List<string> problems)
    {
        var text = value.Trim();
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : text.EndsWith('h') ? (text[..^1], 3600.0)
            : (text, 1.0);
        if (double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) && amount > 0 && amount * unit <= 7 * 86_400)
        {
            return TimeSpan.FromSeconds(amount * unit);
        }

        problems.Add($"{option} '{value}': allowed: a duration above 0 and at most 7 days, e.g. 500ms, 30s, 2m or 1h.");
        return null;
    }

    private static string OptionOf(string variable) => variable switch
    {
        ClusterOptions.EtcdVariable => "--etcd",
        ClusterOptions.WorkersVariable => "--workers",
        ClusterOptions.PrefixVariable => "--prefix",
        ClusterOptions.TokenFileVariable => "--token-file",
        ClusterOptions.ForwardVariable => "--forward",
        ClusterOptions.WorkerWaitVariable => "--worker-wait",
        _ => variable,
    };
}
