using System.Net;
using NUnit.Framework;

namespace PlainNUnitTests;

/// <summary>
/// What the fixture's life-cycle methods did, counted in this process (a load test in the same process reads them
/// by reflection) and, when <see cref="EventsVariable"/> names a folder, written to the file <c>{process id}.txt</c> in
/// it, a line per event with the process id (a test reads what other processes did). One file per process: .NET
/// appends by seeking to the end, so two processes appending to one file can overwrite each other's lines.
/// </summary>
public static class Counters
{
    public const string EventsVariable = "PLAIN_NUNIT_EVENTS";

    private static readonly object FileLock = new();
    private static int _constructed;
    private static int _oneTimeSetUps;
    private static int _setUps;
    private static int _tearDowns;
    private static int _oneTimeTearDowns;
    private static int _disposed;
    private static int _fifthCalls;
    private static int _blocking;
    private static int _mostBlocking;
    private static int _syncCalls;
    private static int _asyncCalls;

    public static int Constructed => Volatile.Read(ref _constructed);
    public static int OneTimeSetUps => Volatile.Read(ref _oneTimeSetUps);
    public static int SetUps => Volatile.Read(ref _setUps);
    public static int TearDowns => Volatile.Read(ref _tearDowns);
    public static int OneTimeTearDowns => Volatile.Read(ref _oneTimeTearDowns);
    public static int Disposed => Volatile.Read(ref _disposed);
    public static int MostBlockingAtOnce => Volatile.Read(ref _mostBlocking);
    public static int FifthCalls => Volatile.Read(ref _fifthCalls);
    public static int SyncCalls => Volatile.Read(ref _syncCalls);
    public static int AsyncCalls => Volatile.Read(ref _asyncCalls);

    internal static void Constructing() => Count(ref _constructed, "constructed");
    internal static void OneTimeSetUp() => Count(ref _oneTimeSetUps, "one-time-set-up");
    internal static void SetUp() => Interlocked.Increment(ref _setUps);
    internal static void TearDown() => Interlocked.Increment(ref _tearDowns);
    internal static void OneTimeTearDown() => Count(ref _oneTimeTearDowns, "one-time-tear-down");
    internal static void Dispose() => Count(ref _disposed, "disposed");
    internal static void Blocking(int change)
    {
        var now = Interlocked.Add(ref _blocking, change);
        int most;
        while (now > (most = Volatile.Read(ref _mostBlocking)) && Interlocked.CompareExchange(ref _mostBlocking, now, most) != most)
        {
        }
    }

    internal static int FifthCall() => Interlocked.Increment(ref _fifthCalls);
    internal static void SyncCall() => Interlocked.Increment(ref _syncCalls);
    internal static void AsyncCall() => Interlocked.Increment(ref _asyncCalls);

    private static void Count(ref int counter, string name)
    {
        Interlocked.Increment(ref counter);
        if (Environment.GetEnvironmentVariable(EventsVariable) is { Length: > 0 } folder)
        {
            lock (FileLock)
            {
                File.AppendAllText(Path.Combine(folder, $"{Environment.ProcessId}.txt"), $"{Environment.ProcessId} {name}{Environment.NewLine}");
            }
        }
    }
}

/// <summary>Functional tests of a shop, as a team has them: a client per fixture, a target from the environment.</summary>
public sealed class ShopTests : IDisposable
{
    /// <summary>The shop's address; the tests that call it fail without it.</summary>
    public const string TargetVariable = "PLAIN_NUNIT_TARGET";

    private HttpClient? _client;
    private bool _setUp;

    public ShopTests() => Counters.Constructing();

    [OneTimeSetUp]
    public void CreateClient()
    {
        Counters.OneTimeSetUp();
        _client = new HttpClient();
    }

    [SetUp]
    public void BeforeEach()
    {
        Counters.SetUp();
        _setUp = true;
    }

    [TearDown]
    public void AfterEach()
    {
        Counters.TearDown();
        _setUp = false;
    }

    [OneTimeTearDown]
    public void DisposeClient()
    {
        Counters.OneTimeTearDown();
        _client?.Dispose();
    }

    public void Dispose() => Counters.Dispose();

    [Test]
    public void Passes()
    {
        Counters.SyncCall();
        Assert.That(_setUp, Is.True, "[SetUp] ran before the test");
    }

    [Test]
    public void FailsEveryFifthCall()
    {
        var call = Counters.FifthCall();
        Assert.That(call % 5, Is.Not.EqualTo(0), "every fifth call fails");
    }

    [Test]
    public async Task GetsProductsAsync()
    {
        Counters.AsyncCall();
        var target = Environment.GetEnvironmentVariable(TargetVariable) ?? throw new InvalidOperationException($"{TargetVariable} is not set.");
        using var response = await _client!.GetAsync(new Uri(new Uri(target), "/products"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async ValueTask YieldsAsync()
    {
        await Task.Yield();
        Assert.That(_setUp, Is.True);
    }

    /// <summary>Blocks its thread for 20 ms, as a test with sync I/O does; counts how many block at once.</summary>
    [Test]
    public void BlocksBriefly()
    {
        Counters.Blocking(+1);
        Thread.Sleep(20);
        Counters.Blocking(-1);
    }

    [Test]
    public void Throws() => throw new InvalidOperationException("the shop is closed");

    [Test]
    public void IsInconclusive() => Assert.Inconclusive("no stock to test with");

    [Test]
    public void IsIgnored() => Assert.Ignore("not in this environment");

    [Test]
    public void PassesEarly() => Assert.Pass("nothing more to check");

    [TestCase(1)]
    [TestCase(2)]
    public void AddsItems(int count) => Assert.That(count, Is.Positive);

    [Test]
    [Ignore("flaky")]
    public void Flaky() => Assert.Fail("never run");
}

/// <summary>A second fixture: its own instance per VU, and a test name that <see cref="ShopTests"/> also has.</summary>
public sealed class AccountTests
{
    [Test]
    public void Passes() => Assert.That(2 + 2, Is.EqualTo(4));
}

/// <summary>A base fixture class: NUnit runs its set-up before the derived class's, its tear-down after.</summary>
public abstract class OrderedTestsBase
{
    protected List<string> Log { get; } = [];

    [SetUp]
    public void BaseSetUp() => Log.Add("base set-up");

    [TearDown]
    public void BaseTearDown()
    {
        Log.Add("base tear-down");
        Assert.That(string.Join(", ", Log), Is.EqualTo("base set-up, derived set-up, test, derived tear-down, base tear-down"));
        Log.Clear();
    }
}

public sealed class OrderedTests : OrderedTestsBase
{
    [SetUp]
    public void DerivedSetUp() => Log.Add("derived set-up");

    [TearDown]
    public void DerivedTearDown() => Log.Add("derived tear-down");

    [Test]
    public void RunsBetweenSetUpAndTearDown() => Log.Add("test");
}

/// <summary>A fixture whose one-time set-up fails, as when a database is not there.</summary>
public sealed class BrokenSetUpTests
{
    [OneTimeSetUp]
    public void Connect() => throw new InvalidOperationException("no database");

    [Test]
    public void NeedsTheDatabase() => Assert.Fail("never reached");
}
