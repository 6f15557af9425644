namespace LoadKit;

/// <summary>
/// Something that happened during a run, told to the observations as it happens: a worker's log line, the start, a
/// take-over, a lost worker, a stop. Live views and consoles show them; the result's notes keep what matters after
/// the run.
/// </summary>
/// <param name="At">When it happened (the clock of the process that tells it: the controller's for a distributed run's own events).</param>
/// <param name="Kind">What it is.</param>
/// <param name="Level">How much it matters.</param>
/// <param name="Source">Who tells it: a worker's name, or <c>controller</c>.</param>
/// <param name="Message">What happened, in one line for people.</param>
public sealed record RunEvent(DateTimeOffset At, RunEventKind Kind, RunEventLevel Level, string Source, string Message);

/// <summary>What a <see cref="RunEvent"/> is.</summary>
public enum RunEventKind
{
    /// <summary>A log line of a process of the run.</summary>
    Log,

    /// <summary>The load started (in a distributed run: a worker started its share).</summary>
    Started,

    /// <summary>A worker took over a share of a lost one.</summary>
    TakeOver,

    /// <summary>A worker was lost.</summary>
    Lost,

    /// <summary>The run was stopped early (a threshold that aborts, a user's stop).</summary>
    Stopped,
}

/// <summary>How much a <see cref="RunEvent"/> matters.</summary>
public enum RunEventLevel
{
    /// <summary>Part of a normal run.</summary>
    Information,

    /// <summary>Something the user should look at; the run goes on.</summary>
    Warning,

    /// <summary>Something failed.</summary>
    Error,
}
