namespace LoadKit;

/// <summary>How a run shows its progress while it lasts (<see cref="RunOptions.Progress"/>).</summary>
public enum ProgressMode
{
    /// <summary>
    /// Shown for runs planned longer than 5 s: refreshed in place on a console, one line per second when the output is
    /// redirected or a <see cref="RunOptions.ProgressWriter"/> is given; not shown for shorter runs.
    /// </summary>
    Auto,

    /// <summary>Not shown.</summary>
    Off,

    /// <summary>One plain line per second, whatever the run's length: for logs and CI.</summary>
    Lines,

    /// <summary>One line refreshed in place each second (carriage return), whatever the run's length: for a terminal.</summary>
    Live,
}
