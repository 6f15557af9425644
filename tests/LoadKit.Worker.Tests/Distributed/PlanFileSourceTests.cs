using System.IO.Compression;
using LoadKit.Cluster;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>A plan and its feed files as the artifact a distributed plan run sends to the workers.</summary>
public class PlanFileSourceTests
{
    private string _folder = "";

    [SetUp]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("loadkit-plan-source-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    private string Write(string relativePath, string text = "x")
    {
        var path = Path.Combine(_folder, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Test]
    public void Pack_FeedOutsideThePlansFolder_KeepsBothAtTheirPlacesBelowTheFolderTheyShare()
    {
        var plan = Write(Path.Combine("tests", "plans", "orders.yaml"));
        Write(Path.Combine("tests", "data", "users.csv"));
        Write(Path.Combine("tests", "plans", "ids.jsonl"));
        Write(Path.Combine("tests", "unrelated.txt"));

        var source = new PlanFileSource(plan, ["../data/users.csv", "ids.jsonl"]);
        var artifact = Artifact.Pack(source.Files.Select(f => (source.EntryOf(f), new FileInfo(f))));

        Assert.That(source.PlanEntry, Is.EqualTo("plans/orders.yaml"));
        using var zip = new ZipArchive(new MemoryStream(artifact.Bytes));
        Assert.That(zip.Entries.Select(e => e.FullName), Is.EqualTo(new[] { "data/users.csv", "plans/ids.jsonl", "plans/orders.yaml" }),
            "the plan and the files it reads, nothing else; '../data' from the plan's folder still finds the feed");
    }

    [Test]
    public void New_AbsoluteOrMissingFeedFiles_ThrowsListingEach()
    {
        var plan = Write("orders.yaml");
        var absolute = Write("users.csv");

        var thrown = Assert.Throws<ArgumentException>(() => _ = new PlanFileSource(plan, [absolute, "missing.csv"]));

        Assert.That(thrown!.Message, Does.Contain($"feed file = '{absolute}': an absolute path; the workers get the plan's files with it, so name the file relative to the plan's folder ({_folder}).")
            .And.Contain($"feed file = 'missing.csv': no such file (looked for {Path.Combine(_folder, "missing.csv")})."));
    }
}
