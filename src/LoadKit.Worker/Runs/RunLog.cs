using System.Globalization;
using LoadKit.Cluster.Protocol;
using LoadKit.Worker.Service;

namespace LoadKit.Worker.Runs;

/// <summary>
/// The worker's log lines of the run under way, on their way to the controller with the next snapshot: Information and
/// up of LoadKit's categories, Warning and up of the others (ASP.NET Core, gRPC, the test's code). A logger provider
/// beside the console's, so every line the worker logs during a run is also sent; between runs it drops them at once.
/// </summary>
internal sealed class RunLog(WorkerClock clock) : ILoggerProvider
{
    private readonly WorkerClock _clock = clock;
    private LogLines? _lines;

    /// <summary>Collects the lines of a run from now until the returned lines are disposed (one run at a time).</summary>
    public LogLines Begin()
    {
        LogLines? lines = null;
        lines = new LogLines(() => _clock.UtcNow, () => Interlocked.CompareExchange(ref _lines, null, lines));
        Volatile.Write(ref _lines, lines);
        return lines;
    }

    public ILogger CreateLogger(string categoryName) => new Forwarder(this, categoryName);

    public void Dispose()
    {
    }

    /// <summary>Whether a line of <paramref name="category"/> at <paramref name="level"/> goes to the controller.</summary>
    internal static bool Forwards(string category, LogLevel level) =>
        level is >= LogLevel.Information and < LogLevel.None && (level >= LogLevel.Warning || category.StartsWith("LoadKit", StringComparison.Ordinal));

    private sealed class Forwarder(RunLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => Volatile.Read(ref log._lines) is not null && Forwards(category, logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (Volatile.Read(ref log._lines) is not { } lines || !Forwards(category, logLevel))
            {
                return;
            }

            var message = formatter(state, exception);
            if (exception is not null)
            {
                message += $" ({exception.GetType().Name}: {exception.Message})";
            }

            lines.Add(new LogLine
            {
                AtUtcTicks = log._clock.UtcNow.Ticks,
                Level = logLevel switch { LogLevel.Information => LogLineLevel.Information, LogLevel.Warning => LogLineLevel.Warning, _ => LogLineLevel.Error },
                Category = category,
                Message = message.Length <= LogLines.LongestMessage ? message : string.Concat(message.AsSpan(0, LogLines.LongestMessage), "…"),
            });
        }
    }
}

/// <summary>
/// One run's log lines not sent yet, bounded: at most <see cref="PerSecond"/> a second and <see cref="MostHeld"/> held
/// (a run prepared and not started yet sends nothing for up to 2 minutes); the excess is counted and sent as one line
/// "N log lines dropped", so a step that logs in a hot loop cannot flood the controller or the worker's memory.
/// </summary>
/// <param name="utcNow">The worker's clock: the seconds the cap counts in, and the time of the "dropped" line.</param>
/// <param name="ended">Called on <see cref="Dispose"/>.</param>
internal sealed class LogLines(Func<DateTime> utcNow, Action ended) : IDisposable
{
    /// <summary>The most lines taken in one second of the clock.</summary>
    internal const int PerSecond = 50;

    /// <summary>The most lines held between two snapshots.</summary>
    internal const int MostHeld = 500;

    /// <summary>A longer message is cut (a log line is for people, not a dump).</summary>
    internal const int LongestMessage = 2000;

    private readonly Lock _gate = new();
    private readonly List<LogLine> _held = [];
    private long _second = long.MinValue;
    private int _inSecond;
    private long _dropped;

    /// <summary>Takes a line, or counts it as dropped when this second's or the held lines' cap is reached.</summary>
    public void Add(LogLine line)
    {
        var second = utcNow().Ticks / TimeSpan.TicksPerSecond;
        lock (_gate)
        {
            if (second != _second)
            {
                (_second, _inSecond) = (second, 0);
            }

            if (_inSecond >= PerSecond || _held.Count >= MostHeld)
            {
                _dropped++;
                return;
            }

            _inSecond++;
            _held.Add(line);
        }
    }

    /// <summary>The lines held, and a last one that counts those dropped since the previous call, if any; the held lines go.</summary>
    public LogLine[] Take()
    {
        lock (_gate)
        {
            if (_held.Count == 0 && _dropped == 0)
            {
                return [];
            }

            LogLine[] lines = _dropped == 0 ? [.. _held] : [.. _held, new LogLine
            {
                AtUtcTicks = utcNow().Ticks,
                Level = LogLineLevel.Warning,
                Category = typeof(LogLines).FullName!,
                Message = $"{_dropped.ToString("N0", CultureInfo.InvariantCulture)} log lines dropped (at most {PerSecond} a second are sent to the controller; the worker's own log has them all)",
            }];
            _held.Clear();
            _dropped = 0;
            return lines;
        }
    }

    /// <summary>Ends the collection: later lines are not held.</summary>
    public void Dispose() => ended();
}
