using System.Diagnostics;
using LoadKit.Stats;

namespace LoadKit.Engine;

/// <summary>
/// The single reader of a run's recorders: once a second it closes an interval on each of them, which makes the
/// per-second timeline; <see cref="StopAsync"/> closes the last, partial interval. <paramref name="afterCollect"/>
/// runs after each interval on the collector itself, the one place where the totals are not being written.
/// </summary>
internal sealed class StatsCollector(IReadOnlyCollection<IIntervalSource> sources, Action? afterCollect = null)
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private int _second;

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
        var start = Stopwatch.GetTimestamp();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                // A tick that comes late (a starved thread pool) closes the second that just ended by the clock;
                // the seconds it missed have no point rather than a wrong one.
                _second = Math.Max(_second, (int)Math.Round(Stopwatch.GetElapsedTime(start).TotalSeconds) - 1);
                CollectAll();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopped: StopAsync collects the last interval.
        }
    }

    private void CollectAll()
    {
        foreach (var source in sources)
        {
            source.CollectInterval(_second);
        }

        _second++;
        afterCollect?.Invoke();
    }
}
