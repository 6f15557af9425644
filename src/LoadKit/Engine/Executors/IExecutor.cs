namespace LoadKit.Engine.Executors;

/// <summary>
/// Runs one block of a scenario's plan, this engine's share of it, with the VUs, statistics and stop rules of
/// <see cref="ExecutorContext"/>. One executor per kind of block (as k6's executors), made by the engine per block;
/// the iteration loop itself is the VU's, so nothing here is dispatched per iteration.
/// </summary>
internal interface IExecutor
{
    /// <summary>Runs the block, then ends it by the graceful stop; returns once its VUs have returned or were abandoned.</summary>
    /// <param name="context">What the executors of one engine share.</param>
    /// <param name="blockStart">A <see cref="System.Diagnostics.Stopwatch"/> timestamp at which the block's clock starts; 0: when the block is reached.</param>
    /// <param name="from">The offset into the block to start from (a resumed plan); zero: its start.</param>
    /// <param name="cancellationToken">Stops the block promptly.</param>
    Task RunAsync(ExecutorContext context, long blockStart, TimeSpan from, CancellationToken cancellationToken);
}
