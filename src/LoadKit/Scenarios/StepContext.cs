namespace LoadKit;

/// <summary>
/// What a step receives: the VU's session, which VU and iteration this is, and the token that ends the step
/// when it times out or the run stops. The engine reuses one context per VU, so keep no reference to it
/// beyond the step's own execution.
/// </summary>
public sealed class StepContext
{
    internal StepContext(Session session) => Session = session;

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

    internal void BeginStep(string stepName, CancellationToken cancellationToken)
    {
        StepName = stepName;
        CancellationToken = cancellationToken;
        FailureReason = null;
    }
}
