using LoadKit.HttpWire;
using LoadKit.Results;

using LoadKit.Steps;

namespace LoadKit;

/// <summary>
/// What a step receives: the VU's session, which VU and iteration this is, and the token that ends the step
/// when it times out or the run stops. The engine reuses one context per VU, so keep no reference to it
/// beyond the step's own execution.
/// </summary>
public sealed class StepContext
{
    private readonly IRunHttp? _httpClients;
    private readonly StepContext? _owner;
    private HttpMessageInvoker? _httpInvoker;
    private WirePool? _wire;
    private WireExchange? _wireExchange;

    internal StepContext(Session session, IRunHttp? httpClients = null)
    {
        Session = session;
        _httpClients = httpClients;
        session.Context = this;
    }

    /// <summary>A context for a hook of the VU that owns <paramref name="owner"/>: its own step state, the owner's connections.</summary>
    private StepContext(StepContext owner)
    {
        Session = owner.Session;
        _httpClients = owner._httpClients;
        _owner = owner;
    }

    /// <summary>The state of this VU, kept across iterations.</summary>
    public Session Session { get; }

    /// <summary>The index of the VU running this step, from 0.</summary>
    public int UserIndex => Session.UserIndex;

    /// <summary>The iteration number of this VU, from 0.</summary>
    public long Iteration { get; internal set; }

    /// <summary>The name of the step being run.</summary>
    public string StepName { get; internal set; } = "";

    /// <summary>Cancelled when the step exceeds its timeout or the run stops. Pass it to every call the step makes.</summary>
    public CancellationToken CancellationToken { get; internal set; }

    internal string? FailureReason { get; private set; }

    /// <summary>Set by a step that found nothing to do (a connect whose connection is open): it is not counted as a call.</summary>
    internal bool NotACall { get; private set; }

    internal void SkipCall() => NotACall = true;

    /// <summary>
    /// Marks the step as failed without throwing; <paramref name="reason"/> is counted in the error table.
    /// The step should return after calling it. Use a fixed text (not one with ids or timestamps) so that
    /// equal failures are counted together.
    /// </summary>
    public void Fail(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        FailureReason = reason;
    }

    /// <summary>
    /// Records <paramref name="value"/> as a sample of the measurement <paramref name="measurement"/> of the step
    /// running now, e.g. a page's largest contentful paint: each step and measurement get statistics of their own in
    /// <see cref="ScenarioResult.Measurements"/>, named "step › measurement" (<c>home › lcp</c>), merged exactly across
    /// processes and limited by thresholds (<see cref="Threshold.Measurement"/>). Samples count whatever the step's
    /// outcome. Allocates nothing once the name has been recorded by the step; use fixed names.
    /// </summary>
    /// <param name="measurement">The measurement's name, e.g. "lcp".</param>
    /// <param name="value">The sample, 0 or more; kept with microsecond resolution, like latencies.</param>
    /// <exception cref="ArgumentException">An empty name, or a negative value.</exception>
    /// <exception cref="InvalidOperationException">Called outside a step of a running scenario (from init or cleanup).</exception>
    public void Record(string measurement, TimeSpan value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(measurement);
        ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
        var recorders = Recorder?.Measurements
            ?? throw new InvalidOperationException($"Measurement '{measurement}' was recorded outside a step: Record works inside a step of a running scenario.");
        var microseconds = value.Ticks / TimeSpan.TicksPerMicrosecond;
        recorders.Get(measurement).Record(Outcome.Ok, microseconds);
    }

    /// <summary>
    /// Records a unitless score (a page's cumulative layout shift) as a sample of <paramref name="measurement"/>, like
    /// <see cref="Record(string, TimeSpan)"/>. Scores share the latency histograms, scaled so that a score reads as
    /// milliseconds: a score of 0.1 is stored as 0.1 ms (100 µs), so its percentiles and thresholds use
    /// <c>TimeSpan.FromMilliseconds(score)</c> and reports show it in their millisecond columns; resolution is 0.001.
    /// </summary>
    /// <param name="measurement">The measurement's name, e.g. "cls".</param>
    /// <param name="score">The sample, 0 or more.</param>
    /// <exception cref="ArgumentException">An empty name, or a score that is negative or not finite.</exception>
    /// <exception cref="InvalidOperationException">Called outside a step of a running scenario.</exception>
    public void RecordScore(string measurement, double score)
    {
        if (!double.IsFinite(score) || score < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(score), score, $"Measurement '{measurement}' got score {score}: a score is a finite number of 0 or more.");
        }

        Record(measurement, TimeSpan.FromTicks((long)Math.Round(score * TimeSpan.TicksPerMillisecond)));
    }

    /// <summary>
    /// Counts a gRPC call of the step running now that ended with <paramref name="statusCode"/> (0 is OK), in the step's
    /// <see cref="StepStats.Grpc"/>. The LoadKit.Grpc steps call it; a step that uses a gRPC client of its own may too.
    /// Outside a step (init, cleanup) it does nothing. Allocates nothing.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="statusCode"/> is not a gRPC status code (0 to 16).</exception>
    public void RecordGrpcStatus(int statusCode)
    {
        if (statusCode is < 0 or > GrpcStats.MaxStatusCode)
        {
            throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode, $"gRPC status code {statusCode}: allowed 0 (OK) to {GrpcStats.MaxStatusCode} (UNAUTHENTICATED).");
        }

        Recorder?.RecordGrpc(statusCode);
    }

    /// <summary>Counts gRPC messages the step running now sent and received, in its <see cref="StepStats.Grpc"/>; outside a step it does nothing.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative count.</exception>
    public void RecordGrpcMessages(long sent, long received)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sent);
        ArgumentOutOfRangeException.ThrowIfNegative(received);
        Recorder?.RecordGrpc(sent: sent, received: received);
    }

    /// <summary>Counts connections a gRPC channel opened, in the <see cref="StepStats.Grpc"/> of the step running now; outside a step it does nothing.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative count.</exception>
    public void RecordGrpcConnections(long opened)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(opened);
        if (opened > 0)
        {
            Recorder?.RecordGrpc(connections: opened);
        }
    }

    /// <summary>The statistics of the step running now; HTTP requests add their status codes and bytes to them.</summary>
    internal Stats.StepRecorder? Recorder { get; private set; }

    internal IRunHttp Http => _httpClients ?? throw new InvalidOperationException("HTTP requests can only be sent from a step of a running scenario.");

    internal Uri? HttpBaseAddress => Http.BaseAddress;

    /// <summary>This VU's client, created on its first request.</summary>
    internal HttpMessageInvoker HttpInvoker => _owner is null ? _httpInvoker ??= Http.ForUser() : _owner.HttpInvoker;

    /// <summary>This VU's connections on LoadKit's own engine, made on its first request.</summary>
    internal WirePool Wire => _owner is null ? _wire ??= Http.WireForUser() : _owner.Wire;

    /// <summary>The request and response buffers of this context's steps, reused from request to request.</summary>
    internal WireExchange WireExchange => _wireExchange ??= new WireExchange();

    /// <summary>
    /// A context through which the VU's init, pre-work or cleanup sends HTTP requests on the VU's connections, without
    /// touching the state of a step the VU may be running. A new one per call: hooks are rare, and may send at once.
    /// </summary>
    internal StepContext ForHook(CancellationToken cancellationToken)
    {
        var hook = new StepContext(this);
        hook.BeginStep("", cancellationToken);
        return hook;
    }

    /// <summary>Closes this VU's own connections (a shared pool belongs to the engine).</summary>
    internal void ReleaseHttp()
    {
        if (_httpClients is { OwnedByUser: true })
        {
            _httpInvoker?.Dispose();
            _wire?.Dispose();
        }

        _wireExchange?.Dispose();
        (_httpInvoker, _wire, _wireExchange) = (null, null, null);
    }

    internal void BeginStep(string stepName, CancellationToken cancellationToken, Stats.StepRecorder? recorder = null)
    {
        Recorder = recorder;
        StepName = stepName;
        CancellationToken = cancellationToken;
        FailureReason = null;
        NotACall = false;
    }
}
