using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using LoadKit.Steps;
using LoadKit.Validation;
using LoadKit.WebSockets;

namespace LoadKit;

/// <summary>
/// Step actions for WebSocket sessions, to pass to <c>.Step(name, action)</c>, and <see cref="WebSocket"/> for code
/// inside a custom step. Each VU keeps its connections in its session under their names (a VU may hold several), across
/// steps and iterations; they are closed when the VU's life ends. Text, URLs and header values are <see cref="Template"/>s,
/// filled from the session. A dropped connection fails the step that saw it ("WebSocket 'name' dropped: reason") and is
/// opened again by the next <see cref="Connect"/> step, so put a connect step at the start of the iteration: while the
/// connection is open it does nothing.
/// </summary>
public static class WebSocketSteps
{
    /// <summary>The session key of a VU's connections.</summary>
    internal const string SessionKey = "LoadKit.WebSockets";

    /// <summary>
    /// The VU's connection named <paramref name="connection"/>, created (not yet open) on first use. Open it with
    /// <see cref="WebSocketConnection.ConnectAsync"/> or a <see cref="Connect"/> step.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="connection"/> is empty.</exception>
    public static WebSocketConnection WebSocket(this StepContext context, string connection)
    {
        ArgumentNullException.ThrowIfNull(context);
        CheckName(connection);
        if (!context.Session.TryGet<WebSocketConnections>(SessionKey, out var connections))
        {
            connections = new WebSocketConnections(context);
            context.Session.Set(SessionKey, connections);
        }

        return connections.Get(connection);
    }

    /// <summary>
    /// A step that opens <paramref name="connection"/> to <paramref name="url"/> unless it is open already (then it does
    /// nothing and takes no time, and is not counted as a call). <see cref="ScenarioBuilder.Build"/> reports a URL that
    /// is not an absolute ws:// or wss:// URL (for a templated one, as far as its text before the first placeholder
    /// decides) and a malformed placeholder, with the scenario's other problems.
    /// </summary>
    /// <param name="connection">The connection's name within the VU.</param>
    /// <param name="url">A ws:// or wss:// URL; may name session values, as in <c>ws://host/chat?user={{user}}</c>.</param>
    /// <param name="headers">Request headers of the handshake; values may name session values.</param>
    /// <param name="subProtocol">The subprotocol to ask for, or null.</param>
    /// <exception cref="ArgumentException">An empty connection name.</exception>
    public static Func<StepContext, ValueTask> Connect(
        string connection,
        string url,
        IReadOnlyDictionary<string, string>? headers = null,
        string? subProtocol = null)
    {
        CheckName(connection);
        ArgumentNullException.ThrowIfNull(url);
        return new WebSocketConnectStep(connection, url, headers, subProtocol).RunAsync;
    }

    /// <summary>A step that sends <paramref name="text"/> (a <see cref="Template"/>) as a text message.</summary>
    /// <exception cref="ArgumentException">An empty connection name.</exception>
    public static Func<StepContext, ValueTask> SendText(string connection, string text)
    {
        CheckName(connection);
        var template = Template.Parse(text);
        return ctx => ctx.WebSocket(connection).SendTextAsync(template.Render(ctx.Session), ctx.CancellationToken);
    }

    /// <summary>A step that sends <paramref name="data"/> as a binary message.</summary>
    /// <exception cref="ArgumentException">An empty connection name.</exception>
    public static Func<StepContext, ValueTask> SendBinary(string connection, ReadOnlyMemory<byte> data)
    {
        CheckName(connection);
        return ctx => ctx.WebSocket(connection).SendBinaryAsync(data, ctx.CancellationToken);
    }

    /// <summary>
    /// A step that receives until a message matches <paramref name="until"/> (the first one when null), skipping the
    /// others. Waiting longer than <paramref name="timeout"/>, or than the step's timeout, counts as timed out.
    /// </summary>
    /// <exception cref="ArgumentException">An empty connection name, or a timeout that is not positive.</exception>
    public static Func<StepContext, ValueTask> Receive(string connection, Func<WebSocketMessage, bool>? until = null, TimeSpan? timeout = null)
    {
        CheckName(connection);
        CheckTimeout(connection, timeout);
        return ctx => Discard(ctx.WebSocket(connection).ReceiveAsync(until, timeout, ctx.CancellationToken));
    }

    /// <summary>
    /// A step that sends <paramref name="text"/> (a <see cref="Template"/>) and receives until the reply that matches
    /// <paramref name="reply"/> (the first message when null): its latency is the time from the send to that reply.
    /// Waiting longer than <paramref name="timeout"/>, or than the step's timeout, counts as timed out.
    /// </summary>
    /// <exception cref="ArgumentException">An empty connection name, or a timeout that is not positive.</exception>
    public static Func<StepContext, ValueTask> Exchange(
        string connection,
        string text,
        Func<WebSocketMessage, bool>? reply = null,
        TimeSpan? timeout = null)
    {
        CheckName(connection);
        CheckTimeout(connection, timeout);
        var template = Template.Parse(text);
        return ctx => Discard(ctx.WebSocket(connection).ExchangeAsync(template.Render(ctx.Session), reply, timeout, ctx.CancellationToken));
    }

    /// <summary>A step that closes <paramref name="connection"/> with a close handshake; it does nothing when the connection is not open.</summary>
    /// <exception cref="ArgumentException">An empty connection name.</exception>
    public static Func<StepContext, ValueTask> Close(string connection)
    {
        CheckName(connection);
        return ctx => ctx.WebSocket(connection).CloseAsync(ctx.CancellationToken);
    }

    /// <summary>An absolute ws:// or wss:// URL, or an error naming the connection and the value.</summary>
    internal static Uri ParseUrl(string connection, string url)
    {
        var problem = UrlProblem(connection, url);
        return problem is null && Uri.TryCreate(url, UriKind.Absolute, out var uri)
            ? uri
            : throw new ArgumentException((problem ?? $"WebSocket '{connection}' has URL '{url}', which is not a URL; allowed: {Urls.WebSocketAllowed}") + ".", nameof(url));
    }

    /// <summary>What is wrong with <paramref name="url"/>, naming the connection, the value and what is allowed; null when nothing is.</summary>
    internal static string? UrlProblem(string connection, string url) =>
        Urls.WebSocketProblem(url) is { } problem ? $"WebSocket '{connection}' has URL '{url}', which {problem}; allowed: {Urls.WebSocketAllowed}" : null;

    private static void CheckName(string connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw new ArgumentException(
                $"A WebSocket connection name is '{connection}': give a non-empty name, such as \"chat\", that the steps of a VU share.", nameof(connection));
        }
    }

    private static void CheckTimeout(string connection, TimeSpan? timeout)
    {
        if (timeout is { } value && value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(
                nameof(timeout), value, $"WebSocket '{connection}' has receive timeout {value}: give a positive time, or null to rely on the step's timeout.");
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask Discard(ValueTask<WebSocketMessage> receive) => await receive.ConfigureAwait(false);
}
