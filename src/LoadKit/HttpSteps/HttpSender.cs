using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using LoadKit.Display;
using LoadKit.Results;
using LoadKit.Stats;

namespace LoadKit.HttpSteps;

/// <summary>
/// Sends an <see cref="HttpCall"/> for a VU and measures it. A plain request adds about 130 B to what HttpClient itself
/// allocates (bench/LoadKit.Benchmarks): its pooled state machine is missed when continuations hop threads.
/// </summary>
internal static class HttpSender
{
    private const int ReadBuffer = 16 * 1024;

    /// <summary>The step action of <see cref="ScenarioBuilder.Step(string, HttpCall, TimeSpan?)"/>: no wrapper, so one state machine per request.</summary>
    public static ValueTask SendStepAsync(HttpCall request, StepContext context) => SendAsync(request, context, reply: null);

    /// <summary>Sends <paramref name="request"/>; when <paramref name="reply"/> is given, it receives the status, failure and response.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public static async ValueTask SendAsync(HttpCall request, StepContext context, HttpOutcome? reply)
    {
        var keepResponse = reply is not null;
        if (request.Problems.Length > 0)
        {
            throw new InvalidOperationException($"HTTP request {request} cannot be sent: {string.Join("; ", request.Problems)}.");
        }

        var session = context.Session;
        using var message = new HttpRequestMessage(request.Method, request.UriFor(context.HttpBaseAddress, session))
        {
            Version = context.Http.Version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = request.CreateContent(session),
        };
        foreach (var (name, value) in request.Headers)
        {
            if (!message.Headers.TryAddWithoutValidation(name, value.Render(session)))
            {
                message.Content?.Headers.TryAddWithoutValidation(name, value.Render(session));
            }
        }

        var sent = message.Content?.Headers.ContentLength ?? 0;
        using var timeout = request.Timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        timeout?.CancelAfter(request.Timeout.GetValueOrDefault());
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

            if (request.StatusCheck is { } statusCheck ? !statusCheck.Holds(status) : status is < 200 or > 299)
            {
                var failure = HttpCheck.StatusFailure(request.StatusCheck, status);
                context.Fail(failure);
                reply?.Set(status, failure, View(response, body, received));
                return;
            }

            if (request.Checks.Length == 0 && request.Extractions.Length == 0 && !keepResponse)
            {
                return;
            }

            // Without a check or extraction that reads the body, it was drained, not kept: the view has none.
            var view = View(response, body, keep ? received : 0);
            var checkFailure = Evaluate(request, view, session);
            if (checkFailure is not null)
            {
                context.Fail(checkFailure);
            }

            reply?.Set(status, checkFailure, view);
        }
        catch (OperationCanceledException) when (timeout is { IsCancellationRequested: true } && !context.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"request timed out after {Format.Duration(request.Timeout.GetValueOrDefault())}");
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

    /// <summary>What a request sent from code got back.</summary>
    internal sealed class HttpOutcome
    {
        public int Status { get; private set; }

        public string? Failure { get; private set; }

        public HttpResponseView? View { get; private set; }

        public void Set(int status, string? failure, HttpResponseView view) => (Status, Failure, View) = (status, failure, view);
    }

    /// <summary>The body is copied out of the pooled buffer: checks and extractions may keep strings of it.</summary>
    private static HttpResponseView View(HttpResponseMessage response, byte[] body, long length) =>
        new((int)response.StatusCode, response.Headers, response.Content.Headers, body.AsSpan(0, (int)length).ToArray());

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
