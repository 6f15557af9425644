namespace LoadKit.Tests.Feeds;

/// <summary>CSV and JSON-lines parsing, and the errors that <see cref="ScenarioBuilder.Build"/> reports for bad input.</summary>
public class FeedFileTests
{
    private string _folder = "";

    [SetUp]
    public void CreateFolder() => _folder = Directory.CreateTempSubdirectory("loadkit-feeds-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [Test]
    public void FromCsv_HeaderAndQuotedFields_ReadsOneRecordPerRowAsStrings()
    {
        var path = Write("users.csv", "username,password,note\nada,s3cret,\"likes, commas\"\nbob,pw2,\"says \"\"hi\"\"\"\n");
        var feed = DataFeed.FromCsv(path);

        var run = FeedOrderTests.Bind(feed, out _);
        var session = new Session(0);

        Assert.That(feed.Count, Is.EqualTo(2));
        run.TryRead(feed, session);
        Assert.That((session.Get<string>("username"), session.Get<string>("password"), session.Get<string>("note")), Is.EqualTo(("ada", "s3cret", "likes, commas")));
        run.TryRead(feed, session);
        Assert.That((session.Get<string>("username"), session.Get<string>("note")), Is.EqualTo(("bob", "says \"hi\"")));
    }

    [Test]
    public void FromJsonLines_ValuesOfEachKind_KeepTheirTypes()
    {
        var path = Write("data.jsonl", "{\"name\":\"ada\",\"age\":36,\"score\":1.5,\"admin\":true,\"team\":null}\n\n{\"name\":\"bob\",\"age\":40}\n");
        var feed = DataFeed.FromJsonLines(path);

        var run = FeedOrderTests.Bind(feed, out _);
        var session = new Session(0);

        Assert.That(feed.Count, Is.EqualTo(2), "the blank line is skipped");
        run.TryRead(feed, session);
        Assert.That(session.Get<string>("name"), Is.EqualTo("ada"));
        Assert.That(session.Get<long>("age"), Is.EqualTo(36));
        Assert.That(session.Get<double>("score"), Is.EqualTo(1.5));
        Assert.That(session.Get<bool>("admin"), Is.True);
        Assert.That(session.Get<string?>("team"), Is.Null);
        run.TryRead(feed, session);
        Assert.That((session.Get<string>("name"), session.Get<long>("age"), session.Get<object?>("score")), Is.EqualTo(("bob", 40L, (object?)null)),
            "a field a line lacks is null, so a value from the previous record does not linger");
    }

    [Test]
    public void Build_MissingFile_NamesTheFeedAndThePath()
    {
        var path = Path.Combine(_folder, "nope.csv");

        var problem = SingleProblem(DataFeed.FromCsv(path));

        Assert.That(problem, Does.Contain("Feed 'nope.csv'").And.Contain(path).And.Contain("does not exist").And.Contain("CSV file with a header row"));
    }

    [Test]
    public void Build_EmptyCsv_SaysTheHeaderRowIsMissing()
    {
        var problem = SingleProblem(DataFeed.FromCsv(Write("empty.csv", "")));

        Assert.That(problem, Does.Contain("'empty.csv'").And.Contain("is empty").And.Contain("first row names the fields"));
    }

    [Test]
    public void Build_CsvHeaderWithBlankName_NamesTheColumn()
    {
        var problem = SingleProblem(DataFeed.FromCsv(Write("blank.csv", "id,,name\n1,2,3\n")));

        Assert.That(problem, Does.Contain("Fields[1] = ''").And.Contain("non-blank field name"));
    }

    [Test]
    public void Build_CsvRowWithTooFewValues_GivesTheLineNumber()
    {
        var problem = SingleProblem(DataFeed.FromCsv(Write("short.csv", "id,name\n1,ada\n2\n3,cy\n")));

        Assert.That(problem, Does.Contain("line 3").And.Contain("2 values per row").And.Contain("found 1"));
    }

    [Test]
    public void Build_MalformedJsonLine_GivesTheLineNumber()
    {
        var problem = SingleProblem(DataFeed.FromJsonLines(Write("bad.jsonl", "{\"id\":1}\n{\"id\":2}\n{\"id\":3,\n{\"id\":4}\n")));

        Assert.That(problem, Does.Contain("Feed 'bad.jsonl'").And.Contain("line 3").And.Contain("a valid JSON object"));
    }

    [Test]
    public void Build_JsonLineWithNestedValue_NamesThePropertyAndTheKindsAllowed()
    {
        var problem = SingleProblem(DataFeed.FromJsonLines(Write("nested.jsonl", "{\"id\":1,\"tags\":[\"a\"]}\n")));

        Assert.That(problem, Does.Contain("line 1").And.Contain("'tags' is a Array").And.Contain("string, number, true, false or null"));
    }

    [Test]
    public void Build_EmptyFeedAndBlankPrefixAndBlankField_ReportsEveryProblemAtOnce()
    {
        var scenario = Scenario.Create("bad feeds")
            .Feed(DataFeed.FromValues("none", "id", Array.Empty<int>()))
            .Feed(DataFeed.FromValues("prefixed", "id", [1], new FeedOptions { Prefix = " " }))
            .Feed(DataFeed.FromValues("unnamed", "", [1]))
            .Step("s", _ => ValueTask.CompletedTask)
            .WithLoad(Load.IterationsPerUser(1, 1));

        var exception = Assert.Throws<ScenarioValidationException>(() => scenario.Build())!;

        TestContext.Out.WriteLine(exception.Message);
        Assert.That(exception.Problems.Select(p => p.ToString()), Is.EqualTo(new[]
        {
            "Feed 'none'.Records = none: at least one record (feed 'none')",
            "Feed 'prefixed'.Prefix = ' ': null for no prefix, or a non-blank text such as \"user.\"",
            "Feed 'unnamed'.Fields[0] = '': a non-blank field name (feed 'unnamed')",
        }));
    }

    [Test]
    public void Build_FileChangedAfterBuild_KeepsTheRecordsReadAtBuild()
    {
        var path = Write("ids.csv", "id\n1\n2\n");
        var feed = DataFeed.FromCsv(path);
        Scenario.Create("s").Feed(feed).Step("s", _ => ValueTask.CompletedTask).WithLoad(Load.IterationsPerUser(1, 1)).Build();

        File.Delete(path);

        Assert.That(feed.Count, Is.EqualTo(2));
        Assert.DoesNotThrow(() => Scenario.Create("t").Feed(feed).Step("s", _ => ValueTask.CompletedTask).WithLoad(Load.IterationsPerUser(1, 1)).Build());
    }

    private static string SingleProblem(DataFeed feed)
    {
        var builder = Scenario.Create("s").Feed(feed).Step("s", _ => ValueTask.CompletedTask).WithLoad(Load.IterationsPerUser(1, 1));
        var exception = Assert.Throws<ScenarioValidationException>(() => builder.Build())!;
        TestContext.Out.WriteLine(exception.Message);
        Assert.That(exception.Problems, Has.Count.EqualTo(1));
        return exception.Problems[0].ToString();
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }
}
