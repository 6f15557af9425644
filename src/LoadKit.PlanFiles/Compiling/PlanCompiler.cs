using System.Net;
using LoadKit.PlanFiles.Documents;

namespace LoadKit.PlanFiles.Compiling;

/// <summary>
/// Compiles a plan document into scenarios through the DSL's public builders, so a plan's scenario is the one the C#
/// API would build. Every problem is collected: the reader's (types, keys, required values) and the DSL's
/// (<see cref="ScenarioBuilder.Build"/>'s ranges and formats), each at its place in the document.
/// </summary>
internal sealed class PlanCompiler(PlanReader reader, string baseDirectory)
{
    private static readonly string[] RootKeys = ["$schema", "variables", "http", "grpc", "feeds", "scenarios"];

    private static readonly string[] ScenarioKeys =
        ["name", "http", "grpc", "variables", "stepTimeout", "gracefulStop", "pacing", "preTasks", "steps", "tasks", "load", "warmUp", "smokeLoad", "thresholds"];

    private static readonly string[] StepKeys = ["name", "request", "grpc", "checks", "extract", "timeout", "think", "feed"];

    private readonly Dictionary<string, (DataFeed Feed, string Path, PlanNode Node, string FilePath, PlanNode FileNode)> _feeds = new(StringComparer.Ordinal);

    private readonly HashSet<string> _feedsRead = new(StringComparer.Ordinal);

    // The trusted certificates are read by both (http.trust, grpc.trust), each file once.
    private readonly GrpcCompiler _grpc = new(reader, baseDirectory, new CertificateFiles(reader, baseDirectory));

    private PlanNode? _planHttpNode;

    /// <summary>The feed files as the plan names them (relative to its folder, or absolute), in the plan's order.</summary>
    public List<string> FeedFiles { get; } = [];

    /// <summary>Every file the plan reads, as it names them: the feeds' files, the gRPC descriptor sets, then the trusted certificates.</summary>
    public IEnumerable<string> Files => FeedFiles.Concat(_grpc.Files).Concat(_grpc.Certificates.Files);

    public List<Scenario> Compile(PlanNode root)
    {
        var scenarios = new List<Scenario>();
        var plan = reader.Map(root, "", RootKeys);
        if (plan is null)
        {
            return scenarios;
        }

        var variables = reader.Pairs(plan["variables"], "variables");
        var http = Http(plan["http"], "http", new HttpSettings());
        var grpc = _grpc.Connection(plan["grpc"], "grpc", GrpcConnection.Default);
        _planHttpNode = plan["http"];
        ReadFeeds(plan["feeds"]);
        var list = reader.List(plan.Required("scenarios", "a list of scenarios, each with a name, steps or tasks, and load"), "scenarios", "a list of scenarios");
        if (list is { Count: 0 })
        {
            reader.Problem(plan["scenarios"], "scenarios", "an empty list", "at least one scenario");
        }

        for (var i = 0; list is not null && i < list.Count; i++)
        {
            if (Scenario(list[i], PlanReader.Item("scenarios", i), variables, http, grpc) is { } scenario)
            {
                scenarios.Add(scenario);
            }
        }

        // A feed no step reads is most likely a misspelt name; its file would never be read, nor checked.
        foreach (var (name, (_, path, node, _, _)) in _feeds.Where(f => !_feedsRead.Contains(f.Key)))
        {
            reader.Problem(node, path, "read by no step", $"a feed that a step list reads with '- feed: {name}', or remove it");
        }

        foreach (var name in scenarios.GroupBy(s => s.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key))
        {
            reader.Problem(root, "scenarios", $"two scenarios named '{name}'", "a different name for each scenario");
        }

        return scenarios;
    }

    private HttpSettings Http(PlanNode? node, string path, HttpSettings defaults)
    {
        var fields = reader.Map(node, path, "baseAddress", "version", "connections", "maxConnectionsPerServer", "proxy", "engine", "decompression", "trust", "responsesOnSocketThread");
        if (fields is null)
        {
            return defaults;
        }

        var settings = defaults;
        if (reader.Text(fields["baseAddress"], fields.PathOf("baseAddress"), "an absolute http:// or https:// URL") is { } address)
        {
            if (Uri.TryCreate(address, UriKind.Absolute, out var uri))
            {
                settings = settings with { BaseAddress = uri };
            }
            else
            {
                reader.Problem(fields["baseAddress"], fields.PathOf("baseAddress"), $"'{address}'", "an absolute http:// or https:// URL, e.g. http://127.0.0.1:5000");
            }
        }

        if (reader.Text(fields["proxy"], fields.PathOf("proxy"), "an absolute http:// URL of a proxy") is { } proxyText)
        {
            if (Uri.TryCreate(proxyText, UriKind.Absolute, out var proxy))
            {
                settings = settings with { Proxy = proxy };
            }
            else
            {
                reader.Problem(fields["proxy"], fields.PathOf("proxy"), $"'{proxyText}'", "an absolute http:// URL of a proxy, e.g. http://127.0.0.1:3128");
            }
        }

        settings = reader.OneOf(fields["version"], fields.PathOf("version"), "1.1", "2") switch
        {
            "1.1" => settings with { Version = HttpVersion.Version11 },
            "2" => settings with { Version = HttpVersion.Version20 },
            _ => settings,
        };
        settings = reader.OneOf(fields["connections"], fields.PathOf("connections"), "perUser", "shared") switch
        {
            "perUser" => settings with { Connections = HttpConnections.PerUser },
            "shared" => settings with { Connections = HttpConnections.Shared },
            _ => settings,
        };
        settings = reader.OneOf(fields["engine"], fields.PathOf("engine"), "auto", "httpclient", "loadkit") switch
        {
            "auto" => settings with { Engine = HttpEngine.Auto },
            "httpclient" => settings with { Engine = HttpEngine.HttpClient },
            "loadkit" => settings with { Engine = HttpEngine.LoadKit },
            _ => settings,
        };
        if (Decompression(fields["decompression"], fields.PathOf("decompression")) is { } decompression)
        {
            settings = settings with { Decompression = decompression };
        }

        if (reader.Boolean(fields["responsesOnSocketThread"], fields.PathOf("responsesOnSocketThread")) is { } inline)
        {
            settings = settings with { ResponsesOnSocketThread = inline };
        }

        if (_grpc.Certificates.Read(fields["trust"], fields.PathOf("trust")) is { } trusted)
        {
            settings = settings with { TrustedCertificate = trusted };
        }

        return reader.Int(fields["maxConnectionsPerServer"], fields.PathOf("maxConnectionsPerServer")) is { } connections
            ? settings with { MaxConnectionsPerServer = connections }
            : settings;
    }

    /// <summary>http.decompression: a coding or a list of them; null when not given or after a problem.</summary>
    private DecompressionMethods? Decompression(PlanNode? node, string path)
    {
        string[] names = ["none", "gzip", "deflate", "br", "all"];
        var items = PlanReader.OneOrMore(node, path);
        if (node is ListNode && items.Length == 0)
        {
            reader.Problem(node, path, "an empty list", "one of " + string.Join(", ", names) + ", or a list of them");
        }

        // Every item is read, so each wrong one is reported.
        DecompressionMethods?[] flags = [.. items.Select(i => reader.OneOf(i.Node, i.Path, names) switch
        {
            "none" => DecompressionMethods.None,
            "gzip" => DecompressionMethods.GZip,
            "deflate" => DecompressionMethods.Deflate,
            "br" => DecompressionMethods.Brotli,
            "all" => DecompressionMethods.All,
            _ => (DecompressionMethods?)null,
        })];
        return flags.Length == 0 || flags.Any(f => f is null) ? null : flags.Aggregate(DecompressionMethods.None, (all, f) => all | f!.Value);
    }

    private void ReadFeeds(PlanNode? node)
    {
        if (node is null)
        {
            return;
        }

        if (node is not MapNode map)
        {
            reader.Problem(node, "feeds", PlanReader.Show(node), "a mapping of feed names to feeds, e.g. users: { csv: users.csv }");
            return;
        }

        foreach (var (key, value) in map.Entries)
        {
            var path = PlanReader.Child("feeds", key.Text);
            var fields = reader.Map(value, path, "csv", "jsonLines", "order", "seed", "whenExhausted", "prefix", "partitioned");
            if (fields is null)
            {
                continue;
            }

            var sources = fields.Present("csv", "jsonLines");
            if (sources.Length != 1)
            {
                reader.Problem(value, path, sources.Length == 0 ? "no file" : "csv and jsonLines", "one file: csv (a CSV file with a header row) or jsonLines (one JSON object per line)");
                continue;
            }

            var file = reader.Text(fields[sources[0]], fields.PathOf(sources[0]), "a file path, relative to the plan's folder");
            var options = new FeedOptions
            {
                Order = reader.OneOf(fields["order"], fields.PathOf("order"), "circular", "random", "unique") switch
                {
                    "random" => FeedOrder.Random,
                    "unique" => FeedOrder.Unique,
                    _ => FeedOrder.Circular,
                },
                Seed = reader.Int(fields["seed"], fields.PathOf("seed")),
                WhenExhausted = reader.OneOf(fields["whenExhausted"], fields.PathOf("whenExhausted"), "stopScenario", "wrap") == "wrap" ? FeedExhaustion.Wrap : FeedExhaustion.StopScenario,
                Prefix = reader.Text(fields["prefix"], fields.PathOf("prefix")),
                Partitioned = reader.Boolean(fields["partitioned"], fields.PathOf("partitioned")),
            };
            if (file is not null)
            {
                var full = Path.GetFullPath(file, baseDirectory);
                FeedFiles.Add(file);
                var feed = sources[0] == "csv" ? DataFeed.FromCsv(full, options) : DataFeed.FromJsonLines(full, options);
                _feeds[key.Text] = (feed, path, value, fields.PathOf(sources[0]), fields[sources[0]]!);
            }
        }
    }

    private Scenario? Scenario(PlanNode node, string path, List<(string Name, string Value)> planVariables, HttpSettings planHttp, GrpcConnection planGrpc)
    {
        var fields = reader.Map(node, path, ScenarioKeys);
        if (fields is null)
        {
            return null;
        }

        var name = reader.Text(fields.Required("name", "the scenario's name"), fields.PathOf("name")) ?? "";
        var builder = LoadKit.Scenario.Create(name);
        var map = new SettingMap(reader, path, node);
        map.Add("Name", fields.PathOf("name"), fields["name"] ?? node);

        var http = Http(fields["http"], fields.PathOf("http"), planHttp);
        var grpc = _grpc.Connection(fields["grpc"], fields.PathOf("grpc"), planGrpc);
        builder.WithHttp(http);
        // Settings given in the scenario are reported there; the others at the plan's http, where they are shared.
        map.Add("Http", fields.Has("http") ? fields.PathOf("http") : "http", fields["http"] ?? _planHttpNode);
        map.Add(HttpSettings.BaseAddressVariable, fields.Has("http") ? fields.PathOf("http") : "http", fields["http"] ?? _planHttpNode);

        Duration(fields, "stepTimeout", map, "StepTimeout", t => builder.WithStepTimeout(t));
        Duration(fields, "gracefulStop", map, "GracefulStop", t => builder.WithGracefulStop(t));
        Duration(fields, "pacing", map, "Pacing", t => builder.WithPacing(t));

        var variables = planVariables.Concat(reader.Pairs(fields["variables"], fields.PathOf("variables"))).ToArray();
        var preTasks = Requests(fields["preTasks"], fields.PathOf("preTasks"), http);
        if (variables.Length > 0 || preTasks.Count > 0)
        {
            builder.WithInit(async (session, cancellationToken) =>
            {
                foreach (var (key, value) in variables)
                {
                    session.Set(key, value);
                }

                await SendAllAsync(preTasks, session, cancellationToken).ConfigureAwait(false);
            });
        }

        if (fields.Has("steps") == fields.Has("tasks"))
        {
            reader.Problem(node, path, fields.Has("steps") ? "steps and tasks" : "neither steps nor tasks", "steps (run in order every iteration) or tasks (a weighted mix), not both");
        }
        else if (fields.Has("steps"))
        {
            Chain(fields["steps"]!, fields.PathOf("steps"), "", map, grpc, builder.Step, (n, c, t) => builder.Step(n, c, t), t => builder.ThinkTime(t), f => builder.Feed(f));
        }
        else
        {
            Tasks(fields["tasks"]!, fields.PathOf("tasks"), map, builder, http, grpc);
        }

        var load = Phases(fields.Required("load", "a list of load phases, e.g. - constantUsers: { users: 10, during: 30s }"), fields.PathOf("load"), "Load", map);
        builder.WithLoad(load);
        if (fields.Has("warmUp"))
        {
            builder.WithWarmUp(Phases(fields["warmUp"], fields.PathOf("warmUp"), "WarmUp", map));
        }

        if (fields.Has("smokeLoad"))
        {
            builder.WithSmokeLoad(Phases(fields["smokeLoad"], fields.PathOf("smokeLoad"), "SmokeLoad", map));
        }

        var thresholds = new List<Threshold>();
        var thresholdNodes = reader.List(fields["thresholds"], fields.PathOf("thresholds"), "a list of thresholds") ?? [];
        for (var i = 0; i < thresholdNodes.Count; i++)
        {
            if (LoadCompiler.Threshold(reader, thresholdNodes[i], PlanReader.Item(fields.PathOf("thresholds"), i)) is { } threshold)
            {
                map.Add($"Thresholds[{thresholds.Count}]", PlanReader.Item(fields.PathOf("thresholds"), i), thresholdNodes[i]);
                thresholds.Add(threshold);
            }
        }

        builder.WithThresholds([.. thresholds]);
        foreach (var (feed, feedPath, feedNode, filePath, fileNode) in _feeds.Values)
        {
            map.Add($"Feed '{feed.Name}'", feedPath, feedNode);
            map.Add($"Feed '{feed.Name}'.File", filePath, fileNode);
        }

        try
        {
            return builder.Build();
        }
        catch (ScenarioValidationException e)
        {
            map.Report(e.Problems);
            return null;
        }
    }

    private void Tasks(PlanNode node, string path, SettingMap map, ScenarioBuilder builder, HttpSettings http, GrpcConnection grpc)
    {
        var tasks = reader.List(node, path, "a list of tasks, each with a name, a weight and steps") ?? [];
        var added = 0;
        for (var i = 0; i < tasks.Count; i++)
        {
            var taskPath = PlanReader.Item(path, i);
            var fields = reader.Map(tasks[i], taskPath, "name", "weight", "preWork", "steps");
            if (fields is null)
            {
                continue;
            }

            var name = reader.Text(fields.Required("name", "the task's name"), fields.PathOf("name")) ?? "";
            var weight = fields.Has("weight") ? reader.Double(fields["weight"], fields.PathOf("weight"), "a number, 0 or more") ?? 1 : 1;
            var preWork = Requests(fields["preWork"], fields.PathOf("preWork"), http);
            var dslPrefix = $"Tasks[{added++}]";
            map.Add(dslPrefix, taskPath, tasks[i]);
            map.Add(dslPrefix + ".Name", fields.PathOf("name"), fields["name"] ?? tasks[i]);
            map.Add(dslPrefix + ".Weight", fields.PathOf("weight"), fields["weight"] ?? tasks[i]);
            var steps = fields.Required("steps", "a list of steps");
            builder.WithTask(name, weight, task =>
            {
                if (preWork.Count > 0)
                {
                    task.WithPreWork((session, cancellationToken) => SendAllAsync(preWork, session, cancellationToken));
                }

                if (steps is not null)
                {
                    Chain(steps, fields.PathOf("steps"), dslPrefix + ".", map, grpc, task.Step, (n, c, t) => task.Step(n, c, t), t => task.ThinkTime(t), f => task.Feed(f));
                }
            });
        }
    }

    /// <summary>A list of steps, think times and feed reads, added in order to a scenario's or a task's chain.</summary>
    private void Chain(PlanNode node, string path, string dslPrefix, SettingMap map, GrpcConnection grpc,
        Func<string, HttpCall, TimeSpan?, object> step, Func<string, GrpcStep, TimeSpan?, object> grpcStep, Action<ThinkTime> think, Action<DataFeed> feed)
    {
        var items = reader.List(node, path, "a list of steps: requests, think times and feed reads") ?? [];
        var (steps, thinks) = (0, 0);
        for (var i = 0; i < items.Count; i++)
        {
            var itemPath = PlanReader.Item(path, i);
            var fields = reader.Map(items[i], itemPath, StepKeys);
            if (fields is null)
            {
                continue;
            }

            var kinds = fields.Present("request", "grpc", "think", "feed");
            if (kinds.Length != 1 || (kinds[0] is "think" or "feed" && fields.Present(StepKeys).Length > 1))
            {
                reader.Problem(items[i], itemPath, kinds.Length == 0 ? "no request, grpc, think or feed" : string.Join(" and ", fields.Present(StepKeys)),
                    "one of: a request step (request, with name, checks, extract, timeout), a gRPC step (grpc, with name, checks, extract, timeout), think (a pause) or feed (a feed's name)");
                continue;
            }

            switch (kinds[0])
            {
                case "think":
                    if (LoadCompiler.ThinkTime(reader, fields["think"]!, fields.PathOf("think")) is { } thinkTime)
                    {
                        map.Add($"{dslPrefix}ThinkTime[{thinks++}]", fields.PathOf("think"), fields["think"]!);
                        think(thinkTime);
                    }

                    break;
                case "feed":
                    var feedName = reader.Text(fields["feed"], fields.PathOf("feed"), "the name of a feed under feeds");
                    if (feedName is not null && _feeds.TryGetValue(feedName, out var declared))
                    {
                        _feedsRead.Add(feedName);
                        feed(declared.Feed);
                    }
                    else if (feedName is not null)
                    {
                        reader.Problem(fields["feed"], fields.PathOf("feed"), $"'{feedName}'",
                            _feeds.Count == 0 ? "the name of a feed declared under feeds (there are none)" : "one of the feeds: " + string.Join(", ", _feeds.Keys));
                    }

                    break;
                default:
                    var timeout = reader.Duration(fields["timeout"], fields.PathOf("timeout"));
                    object? call = kinds[0] == "grpc" ? _grpc.Compile(fields, grpc) : RequestCompiler.Compile(reader, fields);
                    if (call is not null)
                    {
                        var name = fields.Has("name") ? reader.Text(fields["name"], fields.PathOf("name"), "the step's name") ?? ""
                            : call is GrpcDynamicCall byName ? byName.Method : call.ToString()!;
                        map.Add($"{dslPrefix}Steps[{steps++}]", itemPath, items[i]);
                        _ = call is GrpcStep grpcCall ? grpcStep(name, grpcCall, timeout) : step(name, (HttpCall)call, timeout);
                    }

                    break;
            }
        }
    }

    /// <summary>Pre-tasks or pre-work: requests sent from a hook. The DSL checks a request only as a step, so each is checked as one here.</summary>
    private List<HttpCall> Requests(PlanNode? node, string path, HttpSettings http)
    {
        var calls = new List<HttpCall>();
        var items = reader.List(node, path, "a list of requests, each with request and optionally name, checks and extract") ?? [];
        for (var i = 0; i < items.Count; i++)
        {
            var itemPath = PlanReader.Item(path, i);
            var fields = reader.Map(items[i], itemPath, "name", "request", "checks", "extract");
            if (fields is null || RequestCompiler.Compile(reader, fields) is not { } call)
            {
                continue;
            }

            try
            {
                LoadKit.Scenario.Create("request").WithHttp(http).Step("request", call).WithLoad(Load.ConstantUsers(1, TimeSpan.FromSeconds(1))).Build();
                calls.Add(call);
            }
            catch (ScenarioValidationException e)
            {
                var probe = new SettingMap(reader, itemPath, items[i]);
                probe.Add("Steps[0]", itemPath, items[i]);
                probe.Add("Http", "http", items[i]);
                probe.Report(e.Problems);
            }
        }

        return calls;
    }

    private static async ValueTask SendAllAsync(List<HttpCall> calls, Session session, CancellationToken cancellationToken)
    {
        foreach (var call in calls)
        {
            await call.SendAsync(session, cancellationToken).ConfigureAwait(false);
        }
    }

    private LoadPhase[] Phases(PlanNode? node, string path, string dslName, SettingMap map)
    {
        var phases = new List<LoadPhase>();
        var items = reader.List(node, path, "a list of load phases, e.g. - constantUsers: { users: 10, during: 30s }") ?? [];
        for (var i = 0; i < items.Count; i++)
        {
            if (LoadCompiler.Phase(reader, items[i], PlanReader.Item(path, i)) is { } phase)
            {
                // The DSL names a phase's values (Load[0].Users); in the plan they sit under the phase's kind.
                var kind = ((MapNode)items[i]).Entries[0].Key.Text;
                map.Add($"{dslName}[{phases.Count}]", PlanReader.Child(PlanReader.Item(path, i), kind), items[i]);
                phases.Add(phase);
            }
        }

        map.Add(dslName, path, node);
        return [.. phases];
    }

    private void Duration(Fields fields, string key, SettingMap map, string dslName, Action<TimeSpan> set)
    {
        if (reader.Duration(fields[key], fields.PathOf(key)) is { } value)
        {
            map.Add(dslName, fields.PathOf(key), fields[key]!);
            set(value);
        }
    }
}
