using System.Diagnostics;
using LoadKit.Stats;

namespace LoadKit.Engine;

/// <summary>
/// The single reader of a run's recorders: once a second it closes an interval on each of them, which makes the
/// per-second timeline; <see cref="StopAsync"/> closes the last, partial interval. <paramref name="afterCollect"/>
/// runs after each interval on the collector itself, the one place where the totals are not being written.
/// With an <paramref name="offset"/> (a run that resumes a plan part-way), seconds are those of a run that started
/// <paramref name="offset"/> earlier, so its timeline merges second by second with the others': the first interval
/// is partial and numbered ⌊offset⌋, and ticks fall on that earlier start plus whole seconds. With a
/// <paramref name="recordLock"/>, every source's interval ends at one instant that no VU's last records of an iteration
/// straddle.
/// </summary>
internal sealed class StatsCollector(IReadOnlyCollection<IIntervalSource> sources, Action? afterCollect = null, TimeSpan offset = default, StripedRecordLock? recordLock = null)
{
    private static readonly TimeSpan OneSecond = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _collecting = new();
    private Task? _loop;
    private int _second = (int)Math.Floor(offset.TotalSeconds);

    public void Start() => _loop = Task.Run(LoopAsync);

    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        CollectAll();
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        var origin = Stopwatch.GetTimestamp() - (long)(offset.TotalSeconds * Stopwatch.Frequency);

        // The first tick ends the (possibly partial) first second; a timer cannot wait less than a millisecond.
        var first = TimeSpan.FromSeconds(_second + 1 - offset.TotalSeconds);
        using var timer = new PeriodicTimer(first < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : first);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (timer.Period != OneSecond)
                {
                    timer.Period = OneSecond;
                }

                // A tick that comes late (a starved thread pool) closes the second that just ended by the clock;
                // the seconds it missed have no point rather than a wrong one.
                _second = Math.Max(_second, (int)Math.Round(Stopwatch.GetElapsedTime(origin).TotalSeconds) - 1);
                CollectAll();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopped: StopAsync collects the last interval.
        }
    }

    /// <summary>Reads recorders' totals while no interval is being collected, so they stand still.</summary>
    public T WhileNotCollecting<T>(Func<T> read)
    {
        lock (_collecting)
        {
            return read();
        }
    }

    private void CollectAll()
    {
        lock (_collecting)
        {
            if (recordLock is not null)
            {
                recordLock.HoldAll();
                try
                {
                    foreach (var source in sources)
                    {
                        source.EndInterval();
                    }
                }
                finally
                {
                    recordLock.ReleaseAll();
                }
            }

            foreach (var source in sources)
            {
                source.CollectInterval(_second);
            }

            _second++;
            afterCollect?.Invoke();
        }
    }
}
