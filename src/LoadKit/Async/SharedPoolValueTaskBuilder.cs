using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace LoadKit.Async;

/// <summary>
/// The builder of an async method returning <see cref="ValueTask"/> whose state machine, when the method waits, is kept
/// in a pooled box that any thread can take again. <see cref="PoolingAsyncValueTaskMethodBuilder"/> caches one box per
/// thread and one per core: at a fixed rate an iteration starts on the arrival scheduler's thread and ends on the
/// socket or a pool thread, so the boxes it returns there never come back to the scheduler and each start allocated
/// its boxes anew (about 500 B per request). Use it as <c>[AsyncMethodBuilder(typeof(SharedPoolValueTaskBuilder))]</c>
/// on methods that start on one thread and end on another. Elsewhere the runtime's builder is the better one: this one
/// hands what it awaits an <c>Action</c>, which a source completing asynchronously queues in a work item allocated for
/// it, where the runtime's builder queues its own box (bench/README.md, "A fixed rate at 0 B per request").
/// </summary>
[StructLayout(LayoutKind.Auto)]
internal struct SharedPoolValueTaskBuilder
{
    private SharedPoolValueTaskBuilder<VoidResult> _builder;

    public static SharedPoolValueTaskBuilder Create() => default;

    public readonly ValueTask Task => _builder.WithoutResult;

    public readonly void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine =>
        _builder.Start(ref stateMachine);

    public readonly void SetStateMachine(IAsyncStateMachine stateMachine) => _builder.SetStateMachine(stateMachine);

    public void SetResult() => _builder.SetResult(default);

    public void SetException(Exception exception) => _builder.SetException(exception);

    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine =>
        _builder.AwaitOnCompleted(ref awaiter, ref stateMachine);

    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine =>
        _builder.AwaitUnsafeOnCompleted(ref awaiter, ref stateMachine);
}

/// <summary>The builder of an async method returning <see cref="ValueTask{TResult}"/>, as <see cref="SharedPoolValueTaskBuilder"/>.</summary>
/// <typeparam name="TResult">The method's result.</typeparam>
[StructLayout(LayoutKind.Auto)]
internal struct SharedPoolValueTaskBuilder<TResult>
{
    private SharedPoolBox<TResult>? _box;
    private TResult _result;

    public static SharedPoolValueTaskBuilder<TResult> Create() => default;

    public readonly ValueTask<TResult> Task =>
        ReferenceEquals(_box, SharedPoolBox<TResult>.SyncSuccess) ? new ValueTask<TResult>(_result) : new ValueTask<TResult>(_box!, _box!.Version);

    /// <summary>The task of <see cref="SharedPoolValueTaskBuilder"/>, which has no result.</summary>
    internal readonly ValueTask WithoutResult =>
        ReferenceEquals(_box, SharedPoolBox<TResult>.SyncSuccess) ? default : new ValueTask(_box!, _box!.Version);

    public readonly void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine =>
        AsyncValueTaskMethodBuilder.Create().Start(ref stateMachine);

    public readonly void SetStateMachine(IAsyncStateMachine stateMachine)
    {
        // Only class state machines (Debug builds) call it; their box holds them by reference anyway.
    }

    public void SetResult(TResult result)
    {
        if (_box is null)
        {
            _result = result;
            _box = SharedPoolBox<TResult>.SyncSuccess;
        }
        else
        {
            _box.SetResult(result);
        }
    }

    public void SetException(Exception exception) => SharedPoolBox<TResult>.SetException(ref _box, exception);

    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine =>
        awaiter.OnCompleted(SharedPoolBox<TResult>.For(ref stateMachine, ref _box).MoveNextAction);

    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine =>
        SharedPoolBox<TResult>.AwaitUnsafe(ref awaiter, SharedPoolBox<TResult>.For(ref stateMachine, ref _box));
}

/// <summary>The result of a method without one.</summary>
internal readonly struct VoidResult;

/// <summary>
/// What an async method's <see cref="ValueTask"/> waits on once the method has waited itself: the completion (result or
/// exception) and, in <see cref="SharedPoolBox{TResult, TStateMachine}"/>, the state machine that produces it.
/// </summary>
internal abstract class SharedPoolBox<TResult> : IValueTaskSource<TResult>, IValueTaskSource
{
    /// <summary>Marks a method that completed without waiting (its result is in the builder).</summary>
    public static readonly SharedPoolBox<TResult> SyncSuccess = new Unpooled();

    private ManualResetValueTaskSourceCore<TResult> _completion;

    /// <summary>Resumes the state machine.</summary>
    public abstract Action MoveNextAction { get; }

    public short Version => _completion.Version;

    /// <summary>
    /// The box of <paramref name="stateMachine"/>'s first wait, taken from the pool and holding a copy of it (made after
    /// <paramref name="box"/>, a field of that state machine, points at the box), or the box it already has.
    /// </summary>
    public static SharedPoolBox<TResult> For<TStateMachine>(ref TStateMachine stateMachine, ref SharedPoolBox<TResult>? box)
        where TStateMachine : IAsyncStateMachine
    {
        var context = ExecutionContext.Capture();
        if (box is SharedPoolBox<TResult, TStateMachine> held)
        {
            held.Context = context;
            return held;
        }

        var taken = SharedPoolBox<TResult, TStateMachine>.Take();
        box = taken;
        taken.StateMachine = stateMachine;
        taken.Context = context;
        return taken;
    }

    /// <summary>
    /// Resumes <paramref name="box"/> when <paramref name="awaiter"/> completes. A yield is queued as the box itself, as
    /// the runtime's builders do (its Action overload would allocate a work item per yield).
    /// </summary>
    public static void AwaitUnsafe<TAwaiter>(ref TAwaiter awaiter, SharedPoolBox<TResult> box)
        where TAwaiter : ICriticalNotifyCompletion
    {
        if (typeof(TAwaiter) == typeof(YieldAwaitable.YieldAwaiter)
            && box is IThreadPoolWorkItem item
            && SynchronizationContext.Current is null
            && TaskScheduler.Current == TaskScheduler.Default)
        {
            ThreadPool.UnsafeQueueUserWorkItem(item, preferLocal: false);
            return;
        }

        awaiter.UnsafeOnCompleted(box.MoveNextAction);
    }

    /// <summary>Fails the method: in its box, or, when it failed before waiting, in a box of its own that is not pooled.</summary>
    public static void SetException(ref SharedPoolBox<TResult>? box, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        (box ??= new Unpooled()).SetException(exception);
    }

    public void SetResult(TResult result) => _completion.SetResult(result);

    public void SetException(Exception exception) => _completion.SetException(exception);

    public ValueTaskSourceStatus GetStatus(short token) => _completion.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);

    public TResult GetResult(short token)
    {
        try
        {
            return _completion.GetResult(token);
        }
        finally
        {
            _completion.Reset();
            Release();
        }
    }

    void IValueTaskSource.GetResult(short token) => GetResult(token);

    /// <summary>Called once the result was read: the box may be used again.</summary>
    protected abstract void Release();

    /// <summary>A box without a state machine: the sync-success marker, or a method that failed before it waited.</summary>
    private sealed class Unpooled : SharedPoolBox<TResult>
    {
        public override Action MoveNextAction => throw new InvalidOperationException("A method that never waited is not resumed.");

        protected override void Release()
        {
        }
    }
}

/// <summary>
/// The pooled box of one state machine type. A thread keeps one box of its own (as the runtime's pool does); the rest go
/// to slots every thread shares, so a box returned on the socket thread serves the next start on the scheduler's.
/// </summary>
internal sealed class SharedPoolBox<TResult, TStateMachine> : SharedPoolBox<TResult>, IThreadPoolWorkItem
    where TStateMachine : IAsyncStateMachine
{
    /// <summary>
    /// The shared slots, each thread scanning them from the first: wherever the two threads of a hand-over run, the
    /// taker finds what the other gave back (a scan starting at each core's own place would miss it on a machine
    /// with many cores). 16: at 10,000/s and 1 ms a response, about 10 boxes of a type are in flight; a thread's own
    /// box takes the closed model's traffic, so few threads meet here.
    /// </summary>
    private static readonly SharedPoolBox<TResult, TStateMachine>?[] s_slots = new SharedPoolBox<TResult, TStateMachine>?[16];

    private static readonly ContextCallback s_resume = state => ((SharedPoolBox<TResult, TStateMachine>)state!).StateMachine!.MoveNext();

    [ThreadStatic]
    private static SharedPoolBox<TResult, TStateMachine>? t_own;

    private Action? _moveNext;

    /// <summary>The state machine, copied in at its first wait.</summary>
    public TStateMachine? StateMachine;

    /// <summary>The execution context captured at the last wait, under which it resumes.</summary>
    public ExecutionContext? Context;

    public override Action MoveNextAction => _moveNext ??= MoveNext;

    public static SharedPoolBox<TResult, TStateMachine> Take()
    {
        var own = t_own;
        if (own is not null)
        {
            t_own = null;
            return own;
        }

        var slots = s_slots;
        for (var i = 0; i < slots.Length; i++)
        {
            ref var slot = ref slots[i];
            if (Volatile.Read(ref slot) is not null && Interlocked.Exchange(ref slot, null) is { } box)
            {
                return box;
            }
        }

        return new SharedPoolBox<TResult, TStateMachine>();
    }

    public void MoveNext()
    {
        if (Context is { } context)
        {
            ExecutionContext.Run(context, s_resume, this);
        }
        else
        {
            StateMachine!.MoveNext();
        }
    }

    void IThreadPoolWorkItem.Execute() => MoveNext();

    protected override void Release()
    {
        // What the state machine's fields reference goes with it.
        StateMachine = default;
        Context = null;
        if (t_own is null)
        {
            t_own = this;
            return;
        }

        var slots = s_slots;
        for (var i = 0; i < slots.Length; i++)
        {
            ref var slot = ref slots[i];
            if (Volatile.Read(ref slot) is null && Interlocked.CompareExchange(ref slot, this, null) is null)
            {
                return;
            }
        }

        // Every slot tried is full: the box is left to the collector.
    }
}
