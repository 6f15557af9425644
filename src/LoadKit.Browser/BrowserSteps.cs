using LoadKit.Scenarios;
using Microsoft.Playwright;

namespace LoadKit;

/// <summary>
/// Step actions for browser users, to pass to <c>.Step(name, action)</c>, and <see cref="PageAsync"/> for code inside a
/// custom step. Each VU gets a Chromium page of its own (a context in the process's shared browser, or a browser of its
/// own: <see cref="BrowserSettings.BrowserPerUser"/>) on first use; it keeps the page across steps and iterations, and
/// its context is closed when the VU's life ends. <see cref="Navigate"/> records the page's metrics as measurements of
/// its step ("home › lcp"). A page or browser that crashes fails the step that saw it (<see cref="BrowserCrashedException"/>)
/// and is replaced on the VU's next step. Declare browser use on the scenario with
/// <see cref="BrowserScenarios.UsesBrowser"/>, so that a process without chromium, or with too many browser VUs,
/// refuses the scenario before it starts. URLs and texts are <see cref="Template"/>s, filled from the session.
/// </summary>
public static class BrowserSteps
{
    /// <summary>The session key of a VU's browser page.</summary>
    internal const string SessionKey = "LoadKit.Browser";

    /// <summary>This VU's page, opened on first use and again after a crash.</summary>
    /// <exception cref="ScenarioRequirementException">This process has no chromium, or already runs as many browser VUs as it allows.</exception>
    public static async ValueTask<IPage> PageAsync(this StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return (await UserAsync(context).ConfigureAwait(false)).Page;
    }

    /// <summary>
    /// A step that loads <paramref name="url"/> in the VU's page, waits for its load event, and records its page metrics
    /// as measurements of the step: ttfb, dom-content-loaded, load, fcp, lcp (times from the navigation's start) and cls
    /// (a score). The step's time includes waiting for the page's paint entries (at most 1 s, for a page that paints
    /// nothing); the metrics themselves are the browser's. An HTTP error status fails the step.
    /// </summary>
    /// <param name="url">An absolute http(s) URL; may name session values, as in <c>http://host/item/{{id}}</c>.</param>
    /// <exception cref="ArgumentException">A URL without placeholders that is not an absolute http:// or https:// URL.</exception>
    /// <exception cref="FormatException">A malformed placeholder.</exception>
    public static Func<StepContext, ValueTask> Navigate(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var template = Template.Parse(url);
        if (template.IsConstant && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
        {
            throw new ArgumentException($"Browser navigation URL '{url}' is not an absolute http:// or https:// URL.", nameof(url));
        }

        return Run(async (page, ctx) =>
        {
            var target = template.Render(ctx.Session);
            var response = await page.GotoAsync(target, new PageGotoOptions { WaitUntil = WaitUntilState.Load }).ConfigureAwait(false);
            if (response is { Ok: false })
            {
                ctx.Fail($"navigation got HTTP {response.Status}");
                return;
            }

            await PageMetrics.RecordAsync(page, ctx).ConfigureAwait(false);
        });
    }

    /// <summary>A step that clicks the element that <paramref name="selector"/> finds (waiting for it to be actionable).</summary>
    /// <exception cref="ArgumentException">An empty selector.</exception>
    public static Func<StepContext, ValueTask> Click(string selector)
    {
        CheckSelector(selector);
        return Run((page, _) => page.ClickAsync(selector));
    }

    /// <summary>A step that types <paramref name="text"/> (a <see cref="Template"/>) into the input <paramref name="selector"/> finds.</summary>
    /// <exception cref="ArgumentException">An empty selector.</exception>
    public static Func<StepContext, ValueTask> Fill(string selector, string text)
    {
        CheckSelector(selector);
        var template = Template.Parse(text);
        return Run((page, ctx) => page.FillAsync(selector, template.Render(ctx.Session)));
    }

    /// <summary>
    /// A step that waits until the element <paramref name="selector"/> finds is visible and, with <paramref name="text"/>
    /// (a <see cref="Template"/>), until its text contains it: its latency is how long the page took to show it.
    /// </summary>
    /// <exception cref="ArgumentException">An empty selector.</exception>
    public static Func<StepContext, ValueTask> WaitFor(string selector, string? text = null)
    {
        CheckSelector(selector);
        var template = text is null ? null : Template.Parse(text);
        return Run(async (page, ctx) =>
        {
            var locator = page.Locator(selector);
            if (template is null)
            {
                await locator.First.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible }).ConfigureAwait(false);
                return;
            }

            var expected = template.Render(ctx.Session);
            await page.WaitForFunctionAsync(
                "([s, t]) => { const e = document.querySelector(s); return !!e && e.textContent.includes(t); }",
                new[] { selector, expected }).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// A step that runs <paramref name="action"/> on the VU's page: for anything the other steps do not cover. The
    /// action ends with the step's timeout or the run's stop (Playwright calls take no token).
    /// </summary>
    public static Func<StepContext, ValueTask> Run(Func<IPage, StepContext, Task> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return async ctx =>
        {
            var user = await UserAsync(ctx).ConfigureAwait(false);
            try
            {
                await action(user.Page, ctx).WaitAsync(ctx.CancellationToken).ConfigureAwait(false);
            }
            catch (PlaywrightException exception) when (user.Broken || user.CrashReported(exception))
            {
                throw new BrowserCrashedException(
                    "the VU's page crashed or its browser disconnected; the VU gets a new page on its next step", exception);
            }
        };
    }

    /// <summary>Records the current document's page metrics as measurements of the step running now (as <see cref="Navigate"/> does).</summary>
    public static async Task RecordPageMetricsAsync(this StepContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var page = await context.PageAsync().ConfigureAwait(false);
        await PageMetrics.RecordAsync(page, context).WaitAsync(context.CancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask<BrowserUser> UserAsync(StepContext context)
    {
        if (context.Session.TryGet<BrowserUser>(SessionKey, out var user))
        {
            if (!user.Broken)
            {
                return user;
            }

            // It crashed (and was counted): replace it.
            context.Session.Remove(SessionKey);
            await user.DisposeAsync().ConfigureAwait(false);
        }

        user = await BrowserPool.Shared.OpenAsync(context.CancellationToken).WaitAsync(context.CancellationToken).ConfigureAwait(false);
        context.Session.Set(SessionKey, user);
        return user;
    }

    private static void CheckSelector(string selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        if (string.IsNullOrWhiteSpace(selector))
        {
            throw new ArgumentException($"A browser step has selector '{selector}': give a CSS or Playwright selector, such as \"#send\".", nameof(selector));
        }
    }
}

/// <summary>A VU's page crashed, or its browser disconnected, during a step. The VU gets a new page on its next step.</summary>
public sealed class BrowserCrashedException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public BrowserCrashedException()
        : base("the browser page crashed")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public BrowserCrashedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the Playwright error that revealed the crash.</summary>
    public BrowserCrashedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Declares that a scenario runs browser users.</summary>
public static class BrowserScenarios
{
    /// <summary>
    /// Declares that the scenario's steps drive browser pages (<see cref="BrowserSteps"/>). Every process that runs it
    /// checks, before it starts, that chromium is where the settings say and that the VUs it will run at once are within
    /// its cap (<see cref="BrowserSettings.MaxUsersPerProcess"/>), and refuses the scenario with a message naming the
    /// setting otherwise (a worker refuses the job, and the controller reports which one and why).
    /// </summary>
    /// <param name="builder">The scenario.</param>
    /// <param name="settings">
    /// The settings of every process that runs the scenario; null (the default): each process's own environment
    /// (<see cref="BrowserSettings.FromEnvironment"/>), so each worker names its own chromium. The settings are the
    /// process's: scenarios run together in one process share its browser and its cap.
    /// </param>
    public static ScenarioBuilder UsesBrowser(this ScenarioBuilder builder, BrowserSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Require(new ScenarioRequirement("chromium", users =>
        {
            BrowserSettings resolved;
            try
            {
                resolved = settings ?? BrowserSettings.FromEnvironment();
            }
            catch (ArgumentException exception)
            {
                return exception.Message;
            }

            BrowserPool.Shared.Settings = resolved;
            return resolved.Problem(users);
        }, Watch: () =>
        {
            var before = BrowserPool.Shared.Crashes;
            return () => BrowserPool.Shared.Crashes - before is var crashes and > 0
                ? $"browser: {crashes} {(crashes == 1 ? "page or browser" : "pages or browsers")} crashed in this process during the run; the VUs that saw it failed that step and got new pages"
                : null;
        }));
    }
}
