namespace LoadKit.Cli.Tests.Serving;

/// <summary><c>loadkit serve</c>'s settings, as a process.</summary>
public class ServeCommandTests
{
    [Test]
    public async Task Serve_BadListen_ExitsTwoNamingTheSettingTheValueAndWhatIsAllowed()
    {
        var run = await LoadkitProcess.RunAsync(Path.GetTempPath(), "serve", "--listen", "127.0.0.1:99999");

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("option --listen = '127.0.0.1:99999'").And.Contain("IP:PORT"), run.ToString());
        Assert.That(run.Output, Does.Not.Contain("control page at"));
    }

    [Test]
    public async Task Serve_ShortAccessToken_ExitsTwoNamingTheVariable()
    {
        var run = await LoadkitProcess.RunAsync(LoadkitProcess.Built, Path.GetTempPath(), new Dictionary<string, string> { ["LOADKIT_PAGE_TOKEN"] = "short" }, "serve", "--listen", "127.0.0.1:0");

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("LOADKIT_PAGE_TOKEN").And.Contain("at least 16"), run.ToString());
    }

    [Test]
    public async Task Serve_BadUploadLimits_ExitsTwoNamingEachOption()
    {
        var run = await LoadkitProcess.RunAsync(Path.GetTempPath(), "serve", "--listen", "127.0.0.1:0", "--max-upload-mb", "0", "--max-upload-entries", "many");

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("option --max-upload-mb = '0': not allowed; give a whole number of megabytes, at least 1 (default 512).")
            .And.Contain("option --max-upload-entries = 'many': not allowed; give a whole number, at least 1 (default 20000)."), run.ToString());
        Assert.That(run.Output, Does.Not.Contain("control page at"));
    }
}
