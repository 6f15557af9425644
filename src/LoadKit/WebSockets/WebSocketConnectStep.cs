using System.Collections.Immutable;

namespace LoadKit.WebSockets;

/// <summary>
/// The step <see cref="WebSocketSteps.Connect"/> makes. It is the target of the step's delegate, so that
/// <see cref="ScenarioBuilder.Build"/> finds what is wrong with its URL and headers and reports it with every other
/// problem, before anything runs.
/// </summary>
internal sealed class WebSocketConnectStep : IPreparableStep
{
    private readonly string _connection;
    private readonly Template _url;
    private readonly ImmutableArray<(string Name, Template Value)> _headers;
    private readonly string? _subProtocol;

    public WebSocketConnectStep(string connection, string url, IReadOnlyDictionary<string, string>? headers, string? subProtocol)
    {
        _connection = connection;
        _subProtocol = subProtocol;
        var problems = ImmutableArray.CreateBuilder<string>();
        _url = Parse(url, "URL", problems);
        if (problems.Count == 0 && WebSocketSteps.UrlProblem(connection, url) is { } problem)
        {
            problems.Add(problem);
        }

        _headers = [.. (headers ?? ImmutableDictionary<string, string>.Empty).Select(h => (h.Key, Parse(h.Value, $"header '{h.Key}'", problems)))];
        Problems = problems.ToImmutable();
    }

    /// <summary>What is wrong with the URL or the headers; reported by Build.</summary>
    public ImmutableArray<string> Problems { get; }

    /// <summary>Opens the VU's connection unless it is open already.</summary>
    public ValueTask RunAsync(StepContext context)
    {
        if (Problems.Length > 0)
        {
            throw new InvalidOperationException($"WebSocket '{_connection}' cannot connect: {string.Join("; ", Problems)}.");
        }

        var socket = context.WebSocket(_connection);
        if (socket.IsOpen)
        {
            context.SkipCall();
            return ValueTask.CompletedTask;
        }

        return socket.ConnectAsync(
                _url.Render(context.Session),
                _headers.Select(h => KeyValuePair.Create(h.Name, h.Value.Render(context.Session))),
                _subProtocol,
                context.CancellationToken);
    }

    /// <summary>
    /// Before a shared start: opens the TCP connection of the VU's connection, for its first connect to send the
    /// handshake on. Nothing when the URL needs session values the VU does not have yet, or a proxy is set (the
    /// connection would go to the proxy).
    /// </summary>
    public ValueTask PrepareAsync(StepContext context)
    {
        if (Problems.Length > 0 || HttpSettings.ProxyInEnvironment() || !_url.Names.All(context.Session.Contains))
        {
            return ValueTask.CompletedTask;
        }

        return context.WebSocket(_connection).PrepareAsync(WebSocketSteps.ParseUrl(_connection, _url.Render(context.Session)), context.CancellationToken);
    }

    private static Template Parse(string text, string what, ImmutableArray<string>.Builder problems)
    {
        try
        {
            return Template.Parse(text);
        }
        catch (FormatException exception)
        {
            problems.Add($"{what}: {exception.Message}");
            return Template.Parse("");
        }
    }
}
