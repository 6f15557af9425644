namespace LoadKit.Stats;

/// <summary>
/// A scenario's locks, one per processor stripe, shared by all its recorders (<see cref="StepRecorder"/>): a record takes
/// the stripe of the processor it runs on, and the collector holds every stripe while it swaps the recorders' halves.
/// Sharing them keeps an iteration's last records (the step that ends it, then the iteration itself) under one lock
/// taken once: a snapshot never counts an iteration without its step, nor its step without it (in-flight iterations
/// aside), so a lost worker's completed count agrees with its step counts. VUs on different processors never contend,
/// and the collector holds the stripes for the swaps only, not the folding.
/// </summary>
internal sealed class StripedRecordLock
{
    /// <summary>More stripes would cost memory and collector time for little less contention.</summary>
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

    public int Count => _stripes.Length;


    public Lock this[int stripe] => _stripes[stripe];

    /// <summary>
    /// Holds this processor's stripe until the scope is disposed (synchronous code only). Records made meanwhile go to the
    /// held stripe (a <see cref="StepRecorder"/> record given the held stripe), never through another one:
    /// a thread that moved to another processor and took a second stripe could deadlock with <see cref="HoldAll"/>.
    /// </summary>
    public Held Enter()
    {
        var stripe = Thread.GetCurrentProcessorId() & _mask;
        _stripes[stripe].Enter();
        return new Held(_stripes[stripe], stripe);
    }

    /// <summary>Holds every stripe, in order: no VU is between its last records until <see cref="ReleaseAll"/>.</summary>
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

    /// <summary>One held stripe; disposing it releases the stripe.</summary>
    public readonly ref struct Held(Lock held, int stripe)
    {
        public int Stripe { get; } = stripe;

        public void Dispose() => held.Exit();
    }
}
