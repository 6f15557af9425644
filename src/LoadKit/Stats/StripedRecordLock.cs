namespace LoadKit.Stats;

/// <summary>
/// A lock striped by processor that keeps an iteration's last records apart from the collector's swaps: they (the step
/// that ends the iteration, then the iteration itself) land in the same interval. A VU holds one stripe around them,
/// and the collector holds every stripe while it swaps the recorders' halves. So a snapshot never counts an iteration
/// without its step, nor its step without it (in-flight iterations aside), and a lost worker's completed count agrees
/// with its step counts. Striped by processor like the recorders, so VUs on different processors never contend; the
/// collector holds it for the swaps only, not the folding.
/// </summary>
internal sealed class StripedRecordLock
{
    private const int MaxStripes = 8;

    private readonly Lock[] _stripes;
    private readonly int _mask;

    public StripedRecordLock()
    {
        var count = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Min(Environment.ProcessorCount, MaxStripes));
        _stripes = new Lock[count];
        for (var i = 0; i < count; i++)
        {
            _stripes[i] = new Lock();
        }

        _mask = count - 1;
    }

    /// <summary>Holds this processor's stripe until the scope is disposed (synchronous code only).</summary>
    public Lock.Scope Enter() => _stripes[Thread.GetCurrentProcessorId() & _mask].EnterScope();

    /// <summary>Holds every stripe: no VU is between its last records until <see cref="ReleaseAll"/>.</summary>
    public void HoldAll()
    {
        foreach (var stripe in _stripes)
        {
            stripe.Enter();
        }
    }

    public void ReleaseAll()
    {
        for (var i = _stripes.Length - 1; i >= 0; i--)
        {
            _stripes[i].Exit();
        }
    }
}
