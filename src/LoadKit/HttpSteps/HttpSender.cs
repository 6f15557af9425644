using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using LoadKit.Display;
using LoadKit.Async;
using LoadKit.HttpWire;
using LoadKit.Results;
using LoadKit.Stats;

namespace LoadKit.HttpSteps;

/// <summary>
/// Sends an <see cref="HttpCall"/> for a VU and measures it, through HttpClient or LoadKit's own engine
/// (<see cref="HttpSettings.Engine"/>). On HttpClient a plain request adds about 130 B to what HttpClient itself
/// allocates (bench/LoadKit.Benchmarks): its pooled state machine is missed when continuations hop threads. On
/// LoadKit's engine it allocates nothing in steady state (HttpEngineBenchmarks).
/// </summary>
internal static class HttpSender
{
    /// <summary>The measurement of a step under which LoadKit's engine records a new connection's TCP connect.</summary>
    public const string ConnectMeasurement = "connect";

    /// <summary>The measurement of a step under which LoadKit's engine records a new connection's TLS handshake.</summary>
    public const string TlsMeasurement = "tls handshake";

    private const int ReadBuffer = 16 * 1024;

    /// <summary>Sends <paramref name="request"/>; when <paramref name="reply"/> is given, it receives the status, failure and response.</summary>
    public static ValueTask SendAsync(HttpCall request, StepContext context, HttpOutcome? reply)
    {
        if (request.Problems.Length > 0)
        {
            throw new InvalidOperationException($"HTTP request {request} cannot be sent: {string.Join("; ", request.Problems)}.");
        }

        return context.Http.UsesWire ? SendWireAsync(request, context, reply) : SendClientAsync(request, context, reply);
    }

    /// <summary>Through HttpClient.</summary>
    [AsyncMethodBuilder(typeof(SharedPoolValueTaskBuilder))]
    private static async ValueTask SendClientAsync(HttpCall request, StepContext context, HttpOutcome? reply)
    {
        var keepResponse = reply is not null;
        var session = context.Session;
        using var message = new HttpRequestMessage(request.Method, request.UriFor(context.HttpBaseAddress, session))
        {
            Version = context.Http.Version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = request.CreateContent(session),
        };
        foreach (var (name, value) in request.Headers)
        {
            var text = HttpCall.HeaderValue(name, value, session);
            if (!message.Headers.TryAddWithoutValidation(name, text))
            {
                message.Content?.Headers.TryAddWithoutValidation(name, text);
            }
        }

        var sent = message.Content?.Headers.ContentLength ?? 0;
        using var timeout = RequestTimeout(request, context);
        var token = timeout?.Token ?? context.CancellationToken;

        var start = Stopwatch.GetTimestamp();
        var status = 0;
        long received = 0;
        long toHeaders = 0;
        byte[]? body = null;
        try
        {
            using var response = await context.HttpInvoker.SendAsync(message, token).ConfigureAwait(false);
            toHeaders = Histograms.Microseconds(start, Stopwatch.GetTimestamp());
            status = (int)response.StatusCode;

            var keep = keepResponse || request.NeedsBody;
            body = ArrayPool<byte>.Shared.Rent(ReadBuffer);
            using (var stream = response.Content.ReadAsStream(token))
            {
                int read;
                while ((read = await stream.ReadAsync(body.AsMemory(keep ? (int)received : 0), token).ConfigureAwait(false)) > 0)
                {
                    received += read;
                    if (keep && received == body.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(body.Length * 2);
                        body.AsSpan().CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(body);
                        body = larger;
                    }
                }
            }

            // Without a check or extraction that reads the body, it was drained, not kept: the view has none.
            var view = NeedsView(request, reply) ? ClientView(response, body.AsSpan(0, keep ? (int)received : 0)) : null;
            Conclude(request, context, reply, status, view);
        }
        catch (OperationCanceledException) when (timeout is { IsCancellationRequested: true } && !context.CancellationToken.IsCancellationRequested)
        {
            throw TimedOut(request);
        }
        finally
        {
            context.Recorder?.RecordHttp(status, sent, received, toHeaders);
            if (body is not null)
            {
                ArrayPool<byte>.Shared.Return(body);
            }
        }
    }

    /// <summary>
    /// Through LoadKit's own engine: the request written from its encoding into the VU's reused buffer, the response
    /// read into it, the body kept only when a check, an extraction or the caller reads it. A request sent from code
    /// gets an exchange of its own (code may send several at once, and its reply outlives the request).
    /// </summary>
    [AsyncMethodBuilder(typeof(SharedPoolValueTaskBuilder))]
    private static async ValueTask SendWireAsync(HttpCall request, StepContext context, HttpOutcome? reply)
    {
        var wire = request.WireFor(context);
        var exchange = reply is null ? context.WireExchange : new WireExchange();
        var origin = wire.Write(exchange.Request, context.Session, out var sent);
        exchange.KeepBody = reply is not null || request.NeedsBody;
        exchange.KeepAllHeaders = reply is not null;
        exchange.KeepHeaders = wire.KeepHeaders;
        exchange.Decompression = context.Http.Decompression;
        using var timeout = RequestTimeout(request, context);
        var token = timeout?.Token ?? context.CancellationToken;

        var start = Stopwatch.GetTimestamp();
        try
        {
            await exchange.SendAsync(context.Wire, origin, wire.IsHead, token).ConfigureAwait(false);
            var view = NeedsView(request, reply) ? new HttpResponseView(exchange.Status, exchange.Header, exchange.Body.ToArray()) : null;
            Conclude(request, context, reply, exchange.Status, view);
        }
        catch (OperationCanceledException) when (timeout is { IsCancellationRequested: true } && !context.CancellationToken.IsCancellationRequested)
        {
            throw TimedOut(request);
        }
        finally
        {
            var toHeaders = exchange.HeadersAt == 0 ? 0 : Histograms.Microseconds(start, exchange.HeadersAt);
            if (context.Recorder is { } recorder)
            {
                recorder.RecordHttp(exchange.Status, sent, exchange.BodyBytes, toHeaders);
                RecordConnection(recorder, exchange);
            }

            if (reply is not null)
            {
                exchange.Dispose();

                // Sent from code: the code that awaits it goes on off the socket thread, whatever the outcome.
                if (SocketThread.IsCurrent)
                {
                    await Task.Yield();
                }
            }
        }
    }

    /// <summary>A new connection's TCP connect and TLS handshake, as measurements of the step ("step › connect", "step › tls handshake").</summary>
    private static void RecordConnection(StepRecorder recorder, WireExchange exchange)
    {
        if (recorder.Measurements is not { } measurements)
        {
            return;
        }

        if (exchange.ConnectTicks > 0)
        {
            measurements.Get(ConnectMeasurement).Record(Outcome.Ok, Histograms.Microseconds(0, exchange.ConnectTicks));
        }

        if (exchange.TlsTicks > 0)
        {
            measurements.Get(TlsMeasurement).Record(Outcome.Ok, Histograms.Microseconds(0, exchange.TlsTicks));
        }
    }

    private static CancellationTokenSource? RequestTimeout(HttpCall request, StepContext context)
    {
        if (request.Timeout is not { } limit)
        {
            return null;
        }

        var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        timeout.CancelAfter(limit);
        return timeout;
    }

    private static TimeoutException TimedOut(HttpCall request) =>
        new($"request timed out after {Format.Duration(request.Timeout.GetValueOrDefault())}");

    private static bool NeedsView(HttpCall request, HttpOutcome? reply) =>
        reply is not null || request.Checks.Length > 0 || request.Extractions.Length > 0;

    /// <summary>The status check (or "status is 2xx"), then the checks and extractions on <paramref name="view"/>; a failure fails the step.</summary>
    private static void Conclude(HttpCall request, StepContext context, HttpOutcome? reply, int status, HttpResponseView? view)
    {
        if (request.StatusCheck is { } statusCheck ? !statusCheck.Holds(status) : status is < 200 or > 299)
        {
            var failure = HttpCheck.StatusFailure(request.StatusCheck, status);
            context.Fail(failure);
            reply?.Set(status, failure, view!);
            return;
        }

        if (view is null)
        {
            return;
        }

        var checkFailure = Evaluate(request, view, context.Session);
        if (checkFailure is not null)
        {
            context.Fail(checkFailure);
        }

        reply?.Set(status, checkFailure, view);
    }

    /// <summary>The body is copied out of the pooled buffer: checks and extractions may keep strings of it.</summary>
    private static HttpResponseView ClientView(HttpResponseMessage response, ReadOnlySpan<byte> body) =>
        new((int)response.StatusCode, name => Header(response, name), body.ToArray());

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : null;

    /// <summary>What a request sent from code got back.</summary>
    internal sealed class HttpOutcome
    {
        public int Status { get; private set; }

        public string? Failure { get; private set; }

        public HttpResponseView? View { get; private set; }

        public void Set(int status, string? failure, HttpResponseView view) => (Status, Failure, View) = (status, failure, view);
    }

    private static string? Evaluate(HttpCall request, HttpResponseView view, Session session)
    {
        foreach (var check in request.Checks)
        {
            if (!check.IsStatusCheck && !check.Holds(view))
            {
                return check.Description;
            }
        }

        foreach (var (name, from) in request.Extractions)
        {
            if (from.Find(view) is not { } value)
            {
                return $"extract '{name}': {from.Description} found nothing";
            }

            session.Set(name, value);
        }

        return null;
    }
}
