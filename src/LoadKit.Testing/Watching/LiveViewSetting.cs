using System.Net;
using System.Reflection;
using System.Runtime.ExceptionServices;

namespace LoadKit.Testing;

/// <summary>
/// The control page's live view of the runs of this test process, opened once when <see cref="LoadTest.LiveViewVariable"/>
/// (or its run parameter) names an address, and closed when the process ends. The view is LoadKit.ControlPage's
/// <c>LiveView</c>, found by name among the test project's references: LoadKit.Testing does not reference that package,
/// which brings ASP.NET Core, so only a test project that wants the view carries it.
/// </summary>
internal sealed class LiveViewSetting : IRunObserver, IAsyncDisposable
{
    /// <summary>The view's type, by name (public API of LoadKit.ControlPage).</summary>
    public const string ViewType = "LoadKit.LiveView, LoadKit.ControlPage";

    /// <summary>The type whose <c>ParseListen</c> reads the address, so it reads as <c>loadkit serve --listen</c> does.</summary>
    public const string OptionsType = "LoadKit.ControlPageOptions, LoadKit.ControlPage";

    /// <summary>The environment variable of the access token (<c>ControlPageOptions.AccessTokenVariable</c>).</summary>
    public const string AccessTokenVariable = "LOADKIT_PAGE_TOKEN";

    private readonly IRunObserver _view;
    private readonly IAsyncDisposable _lifetime;
    private int _disposed;

    private LiveViewSetting(object view, Uri address, string accessToken)
    {
        _view = (IRunObserver)view;
        _lifetime = (IAsyncDisposable)view;
        Address = address;
        AccessToken = accessToken;
    }

    /// <summary>Where the view is, e.g. <c>http://127.0.0.1:5665/#runs</c>.</summary>
    public Uri Address { get; }

    /// <summary>The token that opens it.</summary>
    public string AccessToken { get; }

    /// <summary>
    /// Opens the view the setting names, says where on <paramref name="announce"/> (once), and closes it when the process
    /// exits; null when the setting is not given.
    /// </summary>
    /// <param name="setting">A setting's value by its environment variable name (the environment, else the run parameter).</param>
    /// <param name="sourceOf">Where a setting came from, for errors (e.g. <c>environment variable LOADKIT_LIVE_VIEW</c>).</param>
    /// <param name="announce">Where the address and token are written.</param>
    /// <param name="viewType">The view's type by name (another name only in tests).</param>
    /// <exception cref="ArgumentException">The value is not an address, the token is too short, or LoadKit.ControlPage is not referenced; the message names the setting.</exception>
    /// <exception cref="IOException">The address cannot be listened on; the message names the setting.</exception>
    public static LiveViewSetting? Open(Func<string, string?> setting, Func<string, string> sourceOf, TextWriter announce, string viewType = ViewType)
    {
        ArgumentNullException.ThrowIfNull(setting);
        ArgumentNullException.ThrowIfNull(sourceOf);
        ArgumentNullException.ThrowIfNull(announce);
        if (setting(LoadTest.LiveViewVariable) is not { Length: > 0 } value)
        {
            return null;
        }

        var source = sourceOf(LoadTest.LiveViewVariable);
        var viewClass = Type.GetType(viewType, throwOnError: false);
        var optionsClass = Type.GetType(OptionsType, throwOnError: false);
        var parse = optionsClass?.GetMethod("ParseListen", [typeof(string), typeof(string)]);
        var start = viewClass?.GetMethod("StartAsync", [typeof(IPEndPoint), typeof(string), typeof(CancellationToken)]);
        if (parse is null || start is null || !typeof(IRunObserver).IsAssignableFrom(viewClass) || !typeof(IAsyncDisposable).IsAssignableFrom(viewClass))
        {
            throw new ArgumentException(
                $"{source} = '{value}': the live view is in the package LoadKit.ControlPage, which this test project does not reference " +
                $"(no {viewType.Split(',')[0]} with StartAsync in its references); add it (dotnet add package LoadKit.ControlPage), or unset {LoadTest.LiveViewVariable}.");
        }

        var listen = (IPEndPoint)Invoke(parse, null, value, source);
        var token = setting(AccessTokenVariable) is { Length: > 0 } given ? given : null;
        object view;
        try
        {
            var started = (Task)Invoke(start, null, listen, token, CancellationToken.None);
            started.GetAwaiter().GetResult();
            view = started.GetType().GetProperty(nameof(Task<object>.Result))!.GetValue(started)!;
        }
        catch (IOException exception)
        {
            throw new IOException($"{source} = '{value}': {exception.Message}", exception);
        }
        catch (ArgumentException exception)
        {
            throw new ArgumentException($"{sourceOf(AccessTokenVariable)}: {exception.Message}", exception);
        }

        var opened = new LiveViewSetting(
            view,
            (Uri)viewClass!.GetProperty("Address")!.GetValue(view)!,
            (string)viewClass.GetProperty("AccessToken")!.GetValue(view)!);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => opened.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
        announce.WriteLine($"LoadKit live view of this test run: {opened.Address} (access token {opened.AccessToken}; from {source})");
        if (!IPAddress.IsLoopback(listen.Address))
        {
            announce.WriteLine($"LoadKit: the live view listens on {listen}, not on loopback: other machines can reach it, over plain HTTP.");
        }

        return opened;
    }

    /// <inheritdoc />
    public IRunObservation? Observe(RunPlan plan, RunControl control) => _view.Observe(plan, control);

    /// <summary>Closes the view (once).</summary>
    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _disposed, 1) == 0 ? _lifetime.DisposeAsync() : ValueTask.CompletedTask;

    private static object Invoke(MethodInfo method, object? target, params object?[] arguments)
    {
        try
        {
            return method.Invoke(target, arguments)!;
        }
        catch (TargetInvocationException exception) when (exception.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(exception.InnerException).Throw();
            throw;
        }
    }
}
