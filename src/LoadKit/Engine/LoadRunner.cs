using LoadKit.Engine;

namespace LoadKit;

/// <summary>Runs scenarios and returns their <see cref="LoadResult"/>.</summary>
public static class LoadRunner
{
    /// <summary>
    /// Runs <paramref name="scenario"/> in this process until its phases end. Cancelling
    /// <paramref name="cancellationToken"/> stops the run promptly and still returns what was measured,
    /// with <see cref="LoadResult.Cancelled"/> set.
    /// </summary>
    public static async Task<LoadResult> RunAsync(Scenario scenario, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var startedAt = DateTimeOffset.UtcNow;
        var result = await new ScenarioEngine(scenario, SegmentShare.Whole).RunAsync(cancellationToken).ConfigureAwait(false);
        return new LoadResult(startedAt, DateTimeOffset.UtcNow, cancellationToken.IsCancellationRequested, [result]);
    }
}
