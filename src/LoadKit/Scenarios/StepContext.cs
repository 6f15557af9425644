namespace LoadKit;

/// <summary>
/// What a step receives: the VU's session, which VU and iteration this is, and the token that ends the step
/// when it times out or the run stops. The engine reuses one context per VU, so keep no reference to it
/// beyond the step's own execution.
/// </summary>
public sealed class StepContext
{
    private readonly HttpClients? _httpClients;
    private HttpMessageInvoker? _httpInvoker;

    internal StepContext(Session session, HttpClients? httpClients = null)
    {
        Session = session;
        _httpClients = httpClients;
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

    /// <summary>The statistics of the step running now; HTTP requests add their status codes and bytes to them.</summary>
    internal Stats.StepRecorder? Recorder { get; private set; }

    internal HttpClients Http => _httpClients ?? throw new InvalidOperationException("HTTP requests can only be sent from a step of a running scenario.");

    internal Uri? HttpBaseAddress => Http.BaseAddress;

    /// <summary>This VU's client, created on its first request.</summary>
    internal HttpMessageInvoker HttpInvoker => _httpInvoker ??= Http.ForUser();

    /// <summary>Closes this VU's own connections (a shared pool belongs to the engine).</summary>
    internal void ReleaseHttp()
    {
        if (_httpClients is { OwnedByUser: true })
        {
            _httpInvoker?.Dispose();
        }

        _httpInvoker = null;
    }

    internal void BeginStep(string stepName, CancellationToken cancellationToken, Stats.StepRecorder? recorder = null)
    {
        Recorder = recorder;
        StepName = stepName;
        CancellationToken = cancellationToken;
        FailureReason = null;
    }
}
