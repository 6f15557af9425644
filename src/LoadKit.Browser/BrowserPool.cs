using LoadKit.Steps;
using Microsoft.Playwright;

namespace LoadKit;

/// <summary>
/// The browser of this load process: launched on the first browser VU's first use, shared by every VU (a context and a
/// page each), closed when the last VU's context closes (the end of the run). Counts the VUs it serves against the
/// process's cap, and the crashes it saw.
/// </summary>
internal sealed class BrowserPool
{
    /// <summary>One per load process (per test assembly load, on a worker).</summary>
    public static readonly BrowserPool Shared = new();

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private int _users;
    private long _crashes;
    private BrowserSettings? _settings;

    /// <summary>Browser VUs with a live context now.</summary>
    public int Users => Volatile.Read(ref _users);

    /// <summary>Pages and browsers that crashed or disconnected in this process since it started.</summary>
    public long Crashes => Interlocked.Read(ref _crashes);

    /// <summary>The settings of this process: those a scenario declared (<see cref="BrowserScenarios.UsesBrowser"/>), else the environment's.</summary>
    public BrowserSettings Settings
    {
        get => Volatile.Read(ref _settings) ?? (_settings = BrowserSettings.FromEnvironment());
        set => Volatile.Write(ref _settings, value);
    }

    public void CountCrash() => Interlocked.Increment(ref _crashes);

    /// <summary>A context and page for one VU, in the shared browser or (per settings) a browser of its own.</summary>
    /// <exception cref="ScenarioRequirementException">This process already runs as many browser VUs as it allows, or has no chromium.</exception>
    public async Task<BrowserUser> OpenAsync(CancellationToken cancellationToken)
    {
        var settings = Settings;
        if (Interlocked.Increment(ref _users) > settings.MaxUsersPerProcess)
        {
            Interlocked.Decrement(ref _users);
            throw new ScenarioRequirementException(
                $"This process already runs {settings.MaxUsersPerProcess} browser VUs, its limit ({settings.MaxUsersSource}): " +
                $"another one would risk exhausting memory. Spread the load over more workers, lower it, or raise {BrowserSettings.MaxUsersVariable}.");
        }

        try
        {
            IBrowser browser;
            IBrowser? own = null;
            if (settings.BrowserPerUser)
            {
                own = browser = await LaunchAsync(await PlaywrightAsync(cancellationToken).ConfigureAwait(false), settings).ConfigureAwait(false);
            }
            else
            {
                browser = await SharedBrowserAsync(settings, cancellationToken).ConfigureAwait(false);
            }

            var context = await browser.NewContextAsync().ConfigureAwait(false);
            await context.AddInitScriptAsync(PageMetrics.ObserverScript).ConfigureAwait(false);
            var page = await context.NewPageAsync().ConfigureAwait(false);
            return new BrowserUser(this, browser, own, context, page);
        }
        catch
        {
            await ReleaseAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>One VU's context has closed; the last one closes the shared browser.</summary>
    public async Task ReleaseAsync()
    {
        if (Interlocked.Decrement(ref _users) > 0)
        {
            return;
        }

        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _users) > 0)
            {
                return;
            }

            if (_browser is { } browser)
            {
                _browser = null;
                await Quietly(browser.CloseAsync()).ConfigureAwait(false);
            }

            _playwright?.Dispose();
            _playwright = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IBrowser> SharedBrowserAsync(BrowserSettings settings, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_browser is { IsConnected: true } browser)
            {
                return browser;
            }

            // Not there yet, or it crashed: (re)launch.
            var playwright = _playwright ??= await CreatePlaywrightAsync().ConfigureAwait(false);
            _browser = await LaunchAsync(playwright, settings).ConfigureAwait(false);
            _browser.Disconnected += (_, _) => CountCrashUnlessClosing();
            return _browser;
        }
        finally
        {
            _gate.Release();
        }
    }

    private void CountCrashUnlessClosing()
    {
        // A browser that disconnects while VUs still use it crashed; one closed by the last VU did not.
        if (Users > 0)
        {
            CountCrash();
        }
    }

    private async Task<IPlaywright> PlaywrightAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _playwright ??= await CreatePlaywrightAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static Task<IPlaywright> CreatePlaywrightAsync()
    {
        // LoadKit drives the system's chromium: Playwright must never try to download a browser of its own.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        return Playwright.CreateAsync();
    }

    private static async Task<IBrowser> LaunchAsync(IPlaywright playwright, BrowserSettings settings)
    {
        if (settings.Problem(0) is { } problem)
        {
            throw new ScenarioRequirementException($"Cannot start a browser in this process: {problem}");
        }

        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = settings.ChromiumPath,
            Headless = true,

            // No sandbox: load processes often run as root in containers, where chromium's sandbox refuses to start.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        }).ConfigureAwait(false);
    }

    internal static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is PlaywrightException or ObjectDisposedException or InvalidOperationException or TimeoutException)
        {
            // Closing what already crashed or disconnected: nothing left to do.
        }
    }
}

/// <summary>One VU's browser context and page; closed when the VU's life ends.</summary>
internal sealed class BrowserUser : IVirtualUserResource
{
    private readonly BrowserPool _pool;
    private readonly IBrowser? _ownBrowser;
    private int _crashed;
    private int _disposed;

    public BrowserUser(BrowserPool pool, IBrowser browser, IBrowser? ownBrowser, IBrowserContext context, IPage page)
    {
        _pool = pool;
        _ownBrowser = ownBrowser;
        Browser = browser;
        Context = context;
        Page = page;
        page.Crash += (_, _) => MarkCrashed();
        if (ownBrowser is not null)
        {
            ownBrowser.Disconnected += (_, _) => MarkCrashed();
        }
    }

    public IBrowser Browser { get; }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>The page crashed, or its browser disconnected: the VU needs a new one.</summary>
    public bool Broken => Volatile.Read(ref _crashed) == 1 || !Browser.IsConnected || Page.IsClosed;

    /// <summary>Whether a Playwright error says the page crashed (its event may come after the error): marks it so.</summary>
    public bool CrashReported(PlaywrightException exception)
    {
        if (!exception.Message.Contains("crash", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        MarkCrashed();
        return true;
    }

    private void MarkCrashed()
    {
        if (Volatile.Read(ref _disposed) == 0 && Interlocked.Exchange(ref _crashed, 1) == 0)
        {
            _pool.CountCrash();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await BrowserPool.Quietly(Context.CloseAsync()).ConfigureAwait(false);
        if (_ownBrowser is not null)
        {
            await BrowserPool.Quietly(_ownBrowser.CloseAsync()).ConfigureAwait(false);
        }

        await _pool.ReleaseAsync().ConfigureAwait(false);
    }
}
