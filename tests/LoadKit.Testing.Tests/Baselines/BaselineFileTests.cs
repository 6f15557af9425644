using System.Collections.Concurrent;

namespace LoadKit.Testing.Tests.Baselines;

/// <summary>Baseline files: a corrupt one is an error naming it; settings name them; saving keeps the previous one for this run's gates.</summary>
public class BaselineFileTests
{
    private string _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("loadkit-baseline-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestCase("{ \"scenarios\": [ { \"name\": \"shop\"", "'")]
    [TestCase("{ \"k6\": \"summary\" }", "it has no scenarios with named steps and their statistics.")]
    [TestCase("", "'")]
    [TestCase("[1, 2]", "'")]
    public void FromFile_NotAResult_ThrowsNamingTheFile(string text, string detail)
    {
        var path = Path.Combine(_folder, "baseline.json");
        File.WriteAllText(path, text);

        var exception = Assert.Throws<InvalidDataException>(() => Baseline.FromFile(path));

        Assert.That(exception.Message, Does.StartWith($"The file '{path}' is not a LoadKit result: "));
        Assert.That(exception.Message, Does.Contain(detail));
        Assert.That(exception.Message, Does.EndWith("A result file is the JSON that LoadResult.WriteFile or ToJson writes."));
    }

    [Test]
    public void Read_CorruptFileFromTheEnvironment_ThrowsNamingTheFileAndTheSetting()
    {
        var path = Path.Combine(_folder, "baseline.json");
        File.WriteAllText(path, "not json");
        var settings = BaselineSettings.Bind(name => name == "LOADKIT_BASELINE" ? path : null, _ => null);

        var exception = Assert.Throws<InvalidDataException>(() => settings.Read("T", new ConcurrentDictionary<string, Lazy<Baseline>>()));

        Assert.That(exception.Message, Does.StartWith($"The file '{path}' is not a LoadKit result: "));
        Assert.That(exception.Message, Does.EndWith("The baseline was named by environment variable LOADKIT_BASELINE."));
    }

    [Test]
    public void Bind_EnvironmentAndRunParameter_EnvironmentWins()
    {
        var both = BaselineSettings.Bind(
            name => name == "LOADKIT_BASELINE" ? "env.json" : null,
            name => name is "LoadKit.Baseline" ? "param.json" : name is "LoadKit.BaselineSave" ? "next.json" : null);

        Assert.That(both, Is.EqualTo(new BaselineSettings("env.json", "environment variable LOADKIT_BASELINE", "next.json", "NUnit run parameter LoadKit.BaselineSave")));
    }

    [Test]
    public void Expand_TestNamePlaceholder_GivesEachTestAFileName()
    {
        Assert.That(BaselineSettings.Expand("b/{test}.json", "Shop.CheckoutTests.Pay(\"eu\",3)"), Is.EqualTo("b/Shop.CheckoutTests.Pay__eu__3_.json"));
        Assert.That(BaselineSettings.Expand("b/one.json", "Shop.CheckoutTests.Pay"), Is.EqualTo("b/one.json"));
    }

    [Test]
    public async Task SaveIfAsked_SameFileAsTheBaseline_ReplacesItAfterKeepingThePreviousRunForTheGates()
    {
        var path = Path.Combine(_folder, "{test}.json");
        var file = Path.Combine(_folder, "Shop.Pay.json");
        var previous = await Run(iterations: 3);
        previous.WriteFile(file);
        var settings = BaselineSettings.Bind(name => name.StartsWith("LOADKIT_BASELINE", StringComparison.Ordinal) ? path : null, _ => null);
        var cache = new ConcurrentDictionary<string, Lazy<Baseline>>();
        var output = new StringWriter();
        var current = await Run(iterations: 5);

        settings.SaveIfAsked(current, "Shop.Pay", cache, output);

        Assert.That(settings.Read("Shop.Pay", cache).Result!.GetStep("ping").Ok, Is.EqualTo(3), "the gates compare with the previous run");
        Assert.That(LoadResult.ReadFile(file).GetStep("ping").Ok, Is.EqualTo(5), "the file holds this run for the next one");
        Assert.That(output.ToString(), Does.Contain($"LoadKit: saved this run's result as the baseline '{file}' (environment variable LOADKIT_BASELINE_SAVE)."));
        Assert.That(Directory.GetFiles(_folder), Is.EquivalentTo(new[] { file }), "no temporary file is left");
    }

    [Test]
    public async Task SaveIfAsked_CancelledRun_KeepsTheOldFileAndSaysSo()
    {
        var file = Path.Combine(_folder, "next.json");
        var settings = BaselineSettings.Bind(name => name == "LOADKIT_BASELINE_SAVE" ? file : null, _ => null);
        var output = new StringWriter();
        var cancelled = await Run(iterations: 3) with { Cancelled = true };

        settings.SaveIfAsked(cancelled, "T", new ConcurrentDictionary<string, Lazy<Baseline>>(), output);

        Assert.That(File.Exists(file), Is.False);
        Assert.That(output.ToString(), Does.Contain($"LoadKit: this run was cancelled, so its partial result was not saved as the baseline '{file}'"));
    }

    [Test]
    public void ReadFile_NoFile_ThrowsFileNotFoundNamingIt()
    {
        var path = Path.Combine(_folder, "absent.json");

        var exception = Assert.Throws<FileNotFoundException>(() => LoadResult.ReadFile(path));

        Assert.That(exception.Message, Does.Contain(path));
    }

    private static Task<LoadResult> Run(int iterations) =>
        LoadRunner.RunAsync(Scenario.Create("quick")
            .Step("ping", _ => ValueTask.CompletedTask)
            .WithLoad(Load.IterationsPerUser(1, iterations))
            .Build());
}
