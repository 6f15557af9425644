using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using LoadKit.Async;

namespace LoadKit.Tests.Async;

/// <summary>
/// The builder of the engine's async methods: what they return and throw, the execution context they resume under, and
/// a box that a method started on one thread and ended on another gives back for the next start (a fixed rate's
/// iteration starts on the scheduler's thread and ends on the socket thread).
/// </summary>
public class SharedPoolValueTaskBuilderTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private static readonly AsyncLocal<string?> Flowing = new();

    [Test]
    public async Task Method_ReturnsAndThrows_WhetherOrNotItWaited()
    {
        Assert.That(await Twice(21, wait: false), Is.EqualTo(42));
        Assert.That(await Twice(21, wait: true), Is.EqualTo(42));
        await Nothing(wait: true);

        var thrown = Assert.ThrowsAsync<InvalidOperationException>(async () => await Fail(wait: false, new InvalidOperationException("before")));
        Assert.That(thrown!.Message, Is.EqualTo("before"));
        thrown = Assert.ThrowsAsync<InvalidOperationException>(async () => await Fail(wait: true, new InvalidOperationException("after")));
        Assert.That(thrown!.Message, Is.EqualTo("after"));

        var cancelled = Fail(wait: true, new OperationCanceledException());
        var waited = SpinWait.SpinUntil(() => cancelled.IsCompleted, Bound);
        Assert.That(waited && cancelled.IsCanceled, Is.True, "a method that throws OperationCanceledException ends cancelled");
        Assert.ThrowsAsync<OperationCanceledException>(async () => await cancelled);
    }

    [Test]
    public async Task Method_ResumedOnAnotherThread_RunsUnderTheContextOfItsCaller()
    {
        Flowing.Value = "caller";
        var running = SeenAcrossWaits();

        // What the method set before its first wait stays in the method: its start restored the caller's context.
        Assert.That(Flowing.Value, Is.EqualTo("caller"));
        var (before, after, yielded) = await running;
        // ... and the method resumed under its own, after a timer's wait and after a yield.
        Assert.That((before, after, yielded), Is.EqualTo(("caller", "method", "method")));
        Assert.That(Flowing.Value, Is.EqualTo("caller"));
    }

    [Test]
    public void Method_StartedOnOneThreadAndEndedOnAnother_TakesItsBoxAgainInsteadOfANewOne()
    {
        // As on the arrival scheduler's thread: no synchronisation context (NUnit's would take the method's resumption).
        var context = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        var least = long.MaxValue;
        try
        {
            using var rounds = new Handoffs();
            rounds.Run(1_000);
            for (var pass = 0; pass < 3 && least > 0; pass++)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                rounds.Run(10_000);
                least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
            }
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }

        TestContext.Out.WriteLine($"allocated on the starting thread in 10,000 rounds: {least} B");
        // A box is about a hundred bytes: one per round would be a megabyte.
        Assert.That(least, Is.LessThan(10_000));
    }

    [AsyncMethodBuilder(typeof(SharedPoolValueTaskBuilder<>))]
    private static async ValueTask<int> Twice(int value, bool wait)
    {
        if (wait)
        {
            await Task.Yield();
        }

        return 2 * value;
    }

    [AsyncMethodBuilder(typeof(SharedPoolValueTaskBuilder))]
    private static async ValueTask Nothing(bool wait)
    {
        if (wait)
        {
            await Task.Delay(1).ConfigureAwait(false);
        }
    }

    [AsyncMethodBuilder(typeof(SharedPoolValueTaskBuilder))]
    private static async ValueTask Fail(bool wait, Exception exception)
    {
        if (wait)
        {
            await Task.Yield();
        }

        throw exception;
    }

    [AsyncMethodBuilder(typeof(SharedPoolValueTaskBuilder<>))]
    private static async ValueTask<(string? Before, string? After, string? Yielded)> SeenAcrossWaits()
    {
        var before = Flowing.Value;
        Flowing.Value = "method";
        await Task.Delay(1).ConfigureAwait(false);
        var after = Flowing.Value;
        await Task.Yield();
        return (before, after, Flowing.Value);
    }

    /// <summary>
    /// Rounds of a method that this thread starts and that a thread of its own completes and reads (where the box is
    /// given back): the starting thread never gets a box back itself.
    /// </summary>
    private sealed class Handoffs : IValueTaskSource, IDisposable
    {
        private readonly SemaphoreSlim _started = new(0);
        private readonly SemaphoreSlim _ended = new(0);
        private readonly Thread _ender;
        private ManualResetValueTaskSourceCore<bool> _completion;
        private ValueTask _pending;
        private volatile bool _stopping;
        private Exception? _failure;

        public Handoffs()
        {
            _ender = new Thread(End) { IsBackground = true, Name = "ender" };
            _ender.Start();
        }

        public ValueTask Waited => new(this, _completion.Version);

        public void Run(int count)
        {
            for (var i = 0; i < count; i++)
            {
                _pending = WaitMachine.Start(this);
                _started.Release();
                if (!_ended.Wait(Bound))
                {
                    Assert.Fail($"round {i} did not end within {Bound}");
                }

                if (_failure is not null)
                {
                    throw new InvalidOperationException("the ending thread failed", _failure);
                }
            }
        }

        public void Dispose()
        {
            _stopping = true;
            _started.Release();
            _ender.Join(Bound);
            _started.Dispose();
            _ended.Dispose();
        }

        ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _completion.GetStatus(token);

        void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _completion.OnCompleted(continuation, state, token, flags);

        void IValueTaskSource.GetResult(short token)
        {
            _completion.GetResult(token);
            _completion.Reset();
        }

        /// <summary>Completes each round's wait (the method resumes and ends here) and reads its result.</summary>
        private void End()
        {
            try
            {
                while (_started.Wait(Bound) && !_stopping)
                {
                    _completion.SetResult(true);
                    Assert.That(_pending.IsCompleted, Is.True, "the method ended when its wait completed");
                    _pending.GetAwaiter().GetResult();
                    _ended.Release();
                }
            }
            catch (Exception exception)
            {
                _failure = exception;
                _ended.Release();
            }
        }
    }

    /// <summary>
    /// <c>async ValueTask Wait(Handoffs h) => await h.Waited;</c> as the compiler makes it in a Release build (a struct,
    /// copied into the box at its first wait): this project builds in Debug, where state machines are classes that
    /// would allocate per call themselves.
    /// </summary>
    private struct WaitMachine : IAsyncStateMachine
    {
        private SharedPoolValueTaskBuilder _builder;
        private Handoffs _handoffs;
        private int _state;
        private ValueTaskAwaiter _awaiter;

        public static ValueTask Start(Handoffs handoffs)
        {
            var machine = new WaitMachine { _builder = SharedPoolValueTaskBuilder.Create(), _handoffs = handoffs };
            machine._builder.Start(ref machine);
            return machine._builder.Task;
        }

        public void MoveNext()
        {
            try
            {
                if (_state == 0)
                {
                    _awaiter = _handoffs.Waited.GetAwaiter();
                    if (!_awaiter.IsCompleted)
                    {
                        _state = 1;
                        _builder.AwaitUnsafeOnCompleted(ref _awaiter, ref this);
                        return;
                    }
                }

                _awaiter.GetResult();
            }
            catch (Exception exception)
            {
                _state = -2;
                _builder.SetException(exception);
                return;
            }

            _state = -2;
            _builder.SetResult();
        }

        public readonly void SetStateMachine(IAsyncStateMachine stateMachine) => _builder.SetStateMachine(stateMachine);
    }
}
