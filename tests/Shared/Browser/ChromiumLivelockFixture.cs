using LoadKit.TestTargets;

namespace LoadKit;

/// <summary>
/// Watches this test assembly's Chromium processes for the kernel livelock of <see cref="ChromiumLivelockWatch"/>
/// (in namespace <c>LoadKit</c>, so NUnit runs it around every test of the assembly).
/// </summary>
[SetUpFixture]
public sealed class ChromiumLivelockFixture
{
    private ChromiumLivelockWatch? _watch;

    [OneTimeSetUp]
    public void StartWatching() => _watch = ChromiumLivelockWatch.Start(message => TestContext.Progress.WriteLine(message));

    [OneTimeTearDown]
    public void StopWatching() => _watch?.Dispose();
}
