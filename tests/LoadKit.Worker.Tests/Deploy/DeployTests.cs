using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using dotnet_etcd;
using Grpc.Core;
using Grpc.Net.Client;
using LoadKit.Cluster;
using LoadKit.Cluster.Protocol;
using LoadKit.TestTargets;
using LoadKit.Worker.Tests.Distributed;
using YamlDotNet.RepresentationModel;
using WorkerClient = LoadKit.Cluster.Protocol.Worker.WorkerClient;

namespace LoadKit.Worker.Tests.Deploy;

/// <summary>
/// The worker as a platform owner runs it: the image from deploy/worker/Dockerfile in real podman containers, the
/// Kubernetes manifests in deploy/kubernetes as kubectl renders them, and the options a container or pod sets.
/// </summary>
[NonParallelizable]
public partial class DeployTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Test]
    public async Task TwoWorkerContainers_ShortDistributedRun_BothRunTheirShareAndTheMergeAddsUp()
    {
        var clock = Stopwatch.StartNew();
        var baseBuilt = await Podman.EnsureBaseImageAsync();
        var baseTime = clock.Elapsed;
        var (publish, published) = await Podman.PublishWorkerAsync(RepositoryRoot(), Configuration());
        var publishTime = clock.Elapsed - baseTime;
        var image = await Podman.BuildWorkerImageAsync(RepositoryRoot(), publish);
        var imageTime = clock.Elapsed - baseTime - publishTime;

        var secrets = Directory.CreateTempSubdirectory("loadkit-secret-").FullName;
        var containers = new List<string>();
        var passed = false;
        try
        {
            await using var etcd = await EtcdServer.StartAsync();
            await using var target = await DelayServer.StartAsync(("/fast", TimeSpan.Zero));
            Environment.SetEnvironmentVariable(DistributedScenarios.TargetVariable, target.BaseAddress.ToString());
            var token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            var tokenFile = Path.Combine(secrets, "token");
            await File.WriteAllTextAsync(tokenFile, token + "\n");
            if (!OperatingSystem.IsWindows())
            {
                // The worker runs as a non-root user in the container; the folder around the file stays private.
                File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }
            var prefix = "containers-" + Guid.NewGuid().ToString("N")[..8];

            // The token reaches the worker only as a mounted file, at the path the image's environment names. Locked
            // down as deploy/kubernetes runs it: read-only root (podman mounts a tmpfs on /tmp), no capabilities.
            for (var i = 0; i < 2; i++)
            {
                containers.Add((await Podman.RunAsync(
                    "run", "--detach", "--network=host", "--hostname", $"{prefix}-c{i}", "--label", "loadkit-test=DeployTests",
                    "--read-only", "--cap-drop=ALL", "--security-opt=no-new-privileges",
                    "--volume", $"{tokenFile}:/run/secrets/loadkit-worker-token:ro", image,
                    "--etcd", etcd.Url, "--listen", "127.0.0.1:0", "--prefix", prefix)).Trim());
            }

            var startRun = clock.Elapsed;
            var options = new RunOptions
            {
                Target = new ClusterTarget(new ClusterOptions([new Uri(etcd.Url)], 2, token)
                {
                    Prefix = prefix,
                    WorkerWait = TimeSpan.FromSeconds(60),
                    Forward = [DistributedScenarios.TargetVariable],
                }),
            };
            var result = await LoadRunner.RunAsync([DistributedScenarios.Short], options).WaitAsync(Bound);
            var runTime = clock.Elapsed - startRun;

            TestContext.Out.WriteLine(SummaryTable.Render(result));
            var inContainers = new List<(string Id, string Address)>();
            foreach (var container in containers)
            {
                var line = WorkerLine().Match(await Podman.LogsAsync(container));
                Assert.That(line.Success, $"container {container} did not log its worker id");
                inContainers.Add((line.Groups["id"].Value, line.Groups["address"].Value));
            }

            var merged = result.GetStep("get");
            Assert.That(result.Workers.Select(w => (w.Id, w.Address)), Is.EquivalentTo(inContainers), "the run's workers are the two containers");
            Assert.That(result.Workers.Select(w => w.Id), Has.All.StartWith(prefix + "-c"), "ids carry the containers' host names");
            Assert.That(result.Workers.Select(w => w.Lost), Is.All.Null);
            Assert.That(result.Workers.Select(w => w.Result.GetStep("get").Ok), Has.All.GreaterThan(0), "each container ran a share");
            Assert.That(merged.Ok, Is.EqualTo(200));
            Assert.That(merged.Ok, Is.EqualTo(result.Workers.Sum(w => w.Result.GetStep("get").Ok)));
            Assert.That(target.Requests, Is.EqualTo(200), "the target's own count");

            // podman stop sends SIGTERM to the worker (PID 1): it revokes its lease and exits 0.
            var stopClock = Stopwatch.StartNew();
            foreach (var container in containers)
            {
                await Podman.RunAsync("stop", "--time", "20", container);
                Assert.That((await Podman.RunAsync("inspect", "--format", "{{.State.ExitCode}}", container)).Trim(), Is.EqualTo("0"));
            }

            Assert.That(await WorkersAsync(etcd.Url, prefix), Is.Empty, "both keys revoked on stop");
            TestContext.Out.WriteLine(
                $"Timings: base image {(baseBuilt ? "built" : "cached")} {baseTime.TotalSeconds:0.0} s, " +
                $"publish {(published ? "made" : "cached")} {publishTime.TotalSeconds:0.0} s, podman build {imageTime.TotalSeconds:0.0} s, " +
                $"run (containers start + 2 s load) {runTime.TotalSeconds:0.0} s, stop {stopClock.Elapsed.TotalSeconds:0.0} s, total {clock.Elapsed.TotalSeconds:0.0} s");
            passed = true;
        }
        finally
        {
            foreach (var container in containers)
            {
                if (!passed)
                {
                    await TestContext.Out.WriteLineAsync($"Container {container}:{Environment.NewLine}{await Podman.LogsAsync(container)}");
                }

                await Podman.RunAsync("rm", "--force", "--time", "0", container);
            }

            await Podman.RunAsync("rmi", "--force", image);
            Directory.Delete(secrets, recursive: true);
        }
    }

    [Test]
    public async Task KubectlKustomize_DeployKubernetes_EtcdAndWorkersThatTheWorkerItselfAccepts()
    {
        var yaml = await RenderAsync(Path.Combine(RepositoryRoot(), "deploy", "kubernetes"));
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var objects = stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToDictionary(o => $"{Text(o, "kind")}/{Text(o, "metadata", "name")}");

        Assert.That(objects.Keys, Is.EquivalentTo(new[]
        {
            "Namespace/loadkit", "Service/loadkit-etcd", "Deployment/loadkit-etcd", "Deployment/loadkit-worker", "PodDisruptionBudget/loadkit-worker",
        }), "no Secret: the token is never part of the manifests");
        Assert.That(objects.Where(o => o.Key != "Namespace/loadkit").Select(o => Text(o.Value, "metadata", "namespace")), Is.All.EqualTo("loadkit"));

        var worker = objects["Deployment/loadkit-worker"];
        var pod = Map(worker, "spec", "template", "spec");
        var container = (YamlMappingNode)Seq(pod, "containers").Single();
        Assert.That(int.Parse(Text(worker, "spec", "replicas"), System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(2));
        Assert.That(Text(worker, "spec", "selector", "matchLabels", "app.kubernetes.io/name"), Is.EqualTo(Text(worker, "spec", "template", "metadata", "labels", "app.kubernetes.io/name")));
        Assert.That(Text(container, "image"), Is.EqualTo("loadkit-worker:latest"));
        Assert.That(Text(pod, "securityContext", "runAsNonRoot"), Is.EqualTo("true"));
        Assert.That((Text(container, "resources", "requests", "cpu"), Text(container, "resources", "requests", "memory")), Is.EqualTo(("1", "512Mi")));

        // The token: a Secret mounted read-only as a folder; the worker reads the file the environment names.
        var env = Seq(container, "env").Cast<YamlMappingNode>().ToDictionary(e => Text(e, "name"));
        var volume = Seq(pod, "volumes").Cast<YamlMappingNode>().Single(v => v.Children.ContainsKey("secret"));
        var mount = Seq(container, "volumeMounts").Cast<YamlMappingNode>().Single(m => Text(m, "name") == Text(volume, "name"));
        Assert.That(Text(volume, "secret", "secretName"), Is.EqualTo("loadkit-worker-token"));
        Assert.That(Text(mount, "readOnly"), Is.EqualTo("true"));
        Assert.That(Text(env["LOADKIT_WORKER_TOKEN_FILE"], "value"), Is.EqualTo(Text(mount, "mountPath") + "/token"));

        // Each pod registers its own IP, from the downward API.
        Assert.That(Text(env["POD_IP"], "valueFrom", "fieldRef", "fieldPath"), Is.EqualTo("status.podIP"));
        var etcdService = objects["Service/loadkit-etcd"];
        Assert.That(Text(env["LOADKIT_ETCD"], "value"), Is.EqualTo($"http://loadkit-etcd:{Text((YamlMappingNode)Seq(etcdService, "spec", "ports").Single(), "port")}"));
        Assert.That(Text(etcdService, "spec", "selector", "app.kubernetes.io/name"), Is.EqualTo(Text(objects["Deployment/loadkit-etcd"], "spec", "template", "metadata", "labels", "app.kubernetes.io/name")));

        // The worker's own option parser takes the pod's arguments and environment as Kubernetes expands them.
        var tokenFile = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(tokenFile, "a-token-of-32-characters-0123456");
            var values = env.Where(e => e.Value.Children.ContainsKey("value")).ToDictionary(e => e.Key, e => Text(e.Value, "value"));
            values["POD_IP"] = "10.1.2.3";
            values["POD_NAME"] = "loadkit-worker-abc";
            values["NODE_NAME"] = "node-1";
            var args = Seq(container, "args").Select(a => Regex.Replace(((YamlScalarNode)a).Value!, @"\$\((\w+)\)", m => values[m.Groups[1].Value])).ToArray();
            var (options, problems) = WorkerOptions.Parse(args, name => name == "LOADKIT_WORKER_TOKEN_FILE" ? tokenFile : values.GetValueOrDefault(name));

            Assert.That(problems, Is.Empty);
            var port = int.Parse(Text((YamlMappingNode)Seq(container, "ports").Single(), "containerPort"), System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(options!.Listen, Is.EqualTo(new IPEndPoint(IPAddress.Any, port)));
            Assert.That(options.Advertise, Is.EqualTo(("10.1.2.3", (int?)null)));
            Assert.That(options.AllowPlaintext, Is.True, "listening on the pod network without TLS is waived in the open");
            Assert.That(options.EtcdEndpoints, Is.EqualTo(new[] { new Uri("http://loadkit-etcd:2379") }));
            Assert.That(options.Labels, Is.EquivalentTo(new Dictionary<string, string> { ["pod"] = "loadkit-worker-abc", ["node"] = "node-1" }));
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }

    [Test]
    public async Task Start_Advertise_RegistersTheAdvertisedHostWithTheBoundPortAndAnswersThere()
    {
        await using var etcd = await EtcdServer.StartAsync();
        await using var worker = WorkerProcess.Start("--etcd", etcd.Url, "--prefix", "adv", "--listen", "127.0.0.1:0", "--advertise", "localhost");

        var line = await worker.WaitForOutputAsync(" listening on http", TimeSpan.FromSeconds(20));
        var info = await WaitForWorkerAsync(etcd.Url, "adv");

        Assert.That(info.Address, Does.Match(@"^http://localhost:\d+$"));
        Assert.That(line, Does.EndWith(info.Address));
        var reply = await new WorkerClient(GrpcChannel.ForAddress(info.Address)).PingAsync(new PingRequest(), WorkerToken.Headers(WorkerProcess.Token));
        Assert.That(reply.WorkerId, Is.EqualTo(info.Id));
    }

    [TestCase("10.1.2.3", "10.1.2.3", null)]
    [TestCase("worker-0.loadkit:7070", "worker-0.loadkit", 7070)]
    [TestCase("fd00::5", "[fd00::5]", null)]
    [TestCase("[fd00::5]:7070", "[fd00::5]", 7070)]
    public void Parse_Advertise_HostAndOptionalPort(string value, string host, int? port)
    {
        var (options, problems) = WorkerOptions.Parse(["--etcd", "http://127.0.0.1:2379", "--advertise", value], Token);

        Assert.That(problems, Is.Empty);
        Assert.That(options!.Advertise, Is.EqualTo((host, port)));
    }

    [Test]
    public void Parse_OptionsInTheEnvironment_AreUsedAndTheCommandLineWins()
    {
        var environment = new Dictionary<string, string>
        {
            ["LOADKIT_ETCD"] = "http://etcd-a:2379,http://etcd-b:2379",
            ["LOADKIT_PREFIX"] = "from-environment",
            ["LOADKIT_WORKER_LISTEN"] = "0.0.0.0:7070",
            ["LOADKIT_WORKER_ADVERTISE"] = "10.1.2.3",
            [WorkerOptions.TokenVariable] = "a-token-of-32-characters-0123456",
        };

        var (options, problems) = WorkerOptions.Parse(["--listen", "127.0.0.1:0", "--prefix", "from-command-line"], environment.GetValueOrDefault);

        Assert.That(problems, Is.Empty);
        Assert.That(options!.EtcdEndpoints, Is.EqualTo(new[] { new Uri("http://etcd-a:2379"), new Uri("http://etcd-b:2379") }));
        Assert.That((options.Prefix, options.Listen, options.Advertise), Is.EqualTo(("from-command-line", new IPEndPoint(IPAddress.Loopback, 0), ("10.1.2.3", (int?)null))));
    }

    [Test]
    public void Parse_BadValuesInTheEnvironment_EachProblemNamesTheVariable()
    {
        var environment = new Dictionary<string, string>
        {
            ["LOADKIT_ETCD"] = "etcd:2379",
            ["LOADKIT_WORKER_LISTEN"] = "localhost",
            ["LOADKIT_WORKER_ADVERTISE"] = "http://10.1.2.3/",
            ["LOADKIT_WORKER_TOKEN_FILE"] = "/nonexistent/token",
        };

        var (options, problems) = WorkerOptions.Parse([], environment.GetValueOrDefault);

        Assert.That(options, Is.Null);
        Assert.That(problems, Has.Some.StartsWith("LOADKIT_ETCD (environment): --etcd 'etcd:2379': not an endpoint"));
        Assert.That(problems, Has.Some.StartsWith("LOADKIT_WORKER_LISTEN (environment): --listen 'localhost': not an address"));
        Assert.That(problems, Has.Some.StartsWith("LOADKIT_WORKER_ADVERTISE (environment): --advertise 'http://10.1.2.3/': allowed: HOST or HOST:PORT"));
        Assert.That(problems, Has.Some.StartsWith("LOADKIT_WORKER_TOKEN_FILE (environment): --token-file '/nonexistent/token': cannot be read"));
        Assert.That(problems, Has.None.StartsWith("--etcd: missing"));
    }

    [GeneratedRegex(@"Worker (?<id>\S+) listening on (?<address>\S+)")]
    private static partial Regex WorkerLine();

    private static string? Token(string name) => name == WorkerOptions.TokenVariable ? "a-token-of-32-characters-0123456" : null;

    /// <summary>Renders a kustomization with kubectl (Debian's kubernetes-client; test.sh installs it).</summary>
    private static async Task<string> RenderAsync(string folder)
    {
        var start = new ProcessStartInfo("kubectl", ["kustomize", folder]) { RedirectStandardOutput = true, RedirectStandardError = true };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException($"kubectl cannot be started ({exception.Message}); ./test.sh installs Debian's kubernetes-client.", exception);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
            Assert.That(process.ExitCode, Is.Zero, $"kubectl kustomize {folder} failed: {await error}");
            return await output;
        }
    }

    private static YamlNode Node(YamlMappingNode node, params string[] path) =>
        path.Aggregate((YamlNode)node, (current, key) => ((YamlMappingNode)current).Children[new YamlScalarNode(key)]);

    private static YamlMappingNode Map(YamlMappingNode node, params string[] path) => (YamlMappingNode)Node(node, path);

    private static YamlSequenceNode Seq(YamlMappingNode node, params string[] path) => (YamlSequenceNode)Node(node, path);

    private static string Text(YamlMappingNode node, params string[] path) => ((YamlScalarNode)Node(node, path)).Value!;

    private static async Task<IReadOnlyList<WorkerInfo>> WorkersAsync(string etcdUrl, string prefix)
    {
        using var client = new EtcdClient(etcdUrl, configureChannelOptions: o => o.Credentials = ChannelCredentials.Insecure);
        var range = await client.GetRangeAsync($"/{prefix}/workers/", deadline: DateTime.UtcNow.AddSeconds(5));
        return range.Kvs.Select(kv => WorkerInfo.FromJson(kv.Value.ToStringUtf8())).ToArray();
    }

    private static async Task<WorkerInfo> WaitForWorkerAsync(string etcdUrl, string prefix)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await WorkersAsync(etcdUrl, prefix) is [var info])
            {
                return info;
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                throw new TimeoutException($"No worker registered under /{prefix}/workers/ within 20 s.");
            }

            await Task.Delay(50);
        }
    }

    private static string Configuration() => new DirectoryInfo(TestContext.CurrentContext.TestDirectory).Parent!.Name; // bin/<configuration>/net10.0

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "LoadKit.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("LoadKit.sln not found above the test directory.");
    }
}
