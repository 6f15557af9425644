using LoadKit.TestTargets;

namespace LoadKit.Worker.Tests;

/// <summary>The worker's upload and cache settings: defaults, ranges, the environment, and their documentation.</summary>
public class WorkerHygieneSettingsTests
{
    private static readonly string[] Etcd = ["--etcd", "http://127.0.0.1:2379"];

    [Test]
    public void Parse_NoHygieneOptions_SensibleDefaults()
    {
        var (options, problems) = WorkerOptions.Parse(Etcd, Token(null));

        Assert.That(problems, Is.Empty);
        Assert.That((options!.MaxUnpackedBytes, options.MaxEntries, options.CacheArtifacts, options.CacheBytes, options.ArtifactsDirectory),
            Is.EqualTo((512L << 20, 20_000, 20, 2048L << 20, (string?)null)));
    }

    [Test]
    public void Parse_HygieneOptionsFromTheCommandLineAndTheEnvironment_AreUsed()
    {
        var folder = Directory.CreateTempSubdirectory("loadkit-settings-").FullName;
        try
        {
            var environment = new Dictionary<string, string>
            {
                [WorkerOptions.MaxUnpackedVariable] = "64",
                [WorkerOptions.MaxEntriesVariable] = "100",
                [WorkerOptions.CacheArtifactsVariable] = "3",
                [WorkerOptions.ArtifactsDirectoryVariable] = folder,
            };

            var (options, problems) = WorkerOptions.Parse([.. Etcd, "--cache-mb", "10", "--cache-artifacts", "4"], Token(environment));

            Assert.That(problems, Is.Empty);
            Assert.That((options!.MaxUnpackedBytes, options.MaxEntries, options.CacheArtifacts, options.CacheBytes, options.ArtifactsDirectory),
                Is.EqualTo((64L << 20, 100, 4, 10L << 20, folder)), "the command line wins");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public void Parse_BadHygieneValues_EachProblemNamesTheSettingTheValueAndWhatIsAllowed()
    {
        var environment = new Dictionary<string, string> { [WorkerOptions.CacheMegabytesVariable] = "2GB" };

        var (options, problems) = WorkerOptions.Parse(
            [.. Etcd, "--max-unpacked-mb", "0", "--max-entries", "-5", "--cache-artifacts", "many", "--artifacts-dir", " "], Token(environment));

        Assert.That(options, Is.Null);
        Assert.That(problems, Is.EquivalentTo(new[]
        {
            "LOADKIT_WORKER_CACHE_MB (environment): --cache-mb '2GB': allowed: a whole number from 1 to 1048576.",
            "--max-unpacked-mb '0': allowed: a whole number from 1 to 65536.",
            "--max-entries '-5': allowed: a whole number from 1 to 1000000.",
            "--cache-artifacts 'many': allowed: a whole number from 1 to 10000.",
            "--artifacts-dir ' ': allowed: a folder this worker may create and write, e.g. /var/lib/loadkit-worker/artifacts.",
        }));
    }

    [Test]
    public void Parse_ArtifactsDirectoryAnotherWorkerHolds_IsRefusedAtStart()
    {
        var folder = Directory.CreateTempSubdirectory("loadkit-settings-").FullName;
        try
        {
            using (Service.ArtifactStore.LockFolder(folder))
            {
                var (options, problems) = WorkerOptions.Parse([.. Etcd, "--artifacts-dir", folder], Token(null));

                Assert.That(options, Is.Null);
                Assert.That(problems, Is.EqualTo(new[]
                {
                    $"--artifacts-dir '{folder}': another worker uses this folder (it holds .loadkit-worker.lock); give each worker a folder of its own.",
                }));
            }

            Assert.That(WorkerOptions.Parse([.. Etcd, "--artifacts-dir", folder], Token(null)).Problems, Is.Empty, "free again once released");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public void Docs_ListEveryWorkerEnvironmentVariableAndOption()
    {
        var configuration = File.ReadAllText(Path.Combine(Repository.Root, "docs", "configuration.md"));
        var distributed = File.ReadAllText(Path.Combine(Repository.Root, "docs", "distributed-ci.md"));

        var usage = WorkerOptions.Usage;
        Assert.Multiple(() =>
        {
            foreach (var (option, variable) in WorkerOptions.EnvironmentOptions)
            {
                foreach (var (name, text) in new[] { ("configuration.md", configuration), ("distributed-ci.md", distributed) })
                {
                    Assert.That(text, Does.Contain($"| `{option} ").And.Contain($"`{variable}`"), $"{option} / {variable} in {name}");
                }

                Assert.That(usage, Does.Contain(option + " ").And.Contain(variable), $"{option} / {variable} in --help");
            }
        });
    }

    private static Func<string, string?> Token(IReadOnlyDictionary<string, string>? environment) =>
        name => name == WorkerOptions.TokenVariable ? "a-token-of-32-characters-0123456" : environment?.GetValueOrDefault(name);
}
