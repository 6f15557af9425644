namespace LoadKit.HttpSteps;

/// <summary>
/// The handlers that <see cref="HttpSettings.Handler"/> creates for one engine (e.g. an ASP.NET Core TestServer's):
/// each pool gets a new one and disposes it, so a function that hands out the same handler twice is an error
/// rather than a handler disposed under another VU.
/// </summary>
internal sealed class InProcessHandlers(Func<HttpMessageHandler> create)
{
    private readonly HashSet<HttpMessageHandler> _handedOut = new(ReferenceEqualityComparer.Instance);

    /// <summary>The address relative paths resolve against when the settings give none: TestServer's default.</summary>
    public static Uri DefaultAddress { get; } = new("http://localhost/");

    /// <summary>Whether any request pool was created, i.e. HTTP steps sent through the handlers.</summary>
    public bool Used { get; private set; }

    /// <summary>A client over a new handler; disposing the client disposes the handler.</summary>
    /// <exception cref="InvalidOperationException">The function returned null or a handler it had returned before.</exception>
    public HttpMessageInvoker Create()
    {
        var handler = create() ?? throw new InvalidOperationException(
            "HttpSettings.Handler returned null; it must return a new HttpMessageHandler on each call (e.g. factory.Server.CreateHandler).");
        lock (_handedOut)
        {
            if (!_handedOut.Add(handler))
            {
                throw new InvalidOperationException(
                    $"HttpSettings.Handler returned the same {handler.GetType().Name} twice. Each VU's pool disposes its handler when the VU ends, " +
                    "so the function must create a new one on each call (e.g. factory.Server.CreateHandler), or set Connections = HttpConnections.Shared.");
            }

            Used = true;
        }

        return new HttpMessageInvoker(handler, disposeHandler: true);
    }

    /// <summary>What the run's notes say when the scenario's requests went through the handlers; null when none did.</summary>
    public string? Note(string scenario)
    {
        lock (_handedOut)
        {
            return Used ? $"Scenario '{scenario}': HTTP steps went to an in-process handler (HttpSettings.Handler); latency excludes the network." : null;
        }
    }
}
