using System.Collections.Concurrent;
using LoadKit.Steps;

namespace LoadKit.NUnitSteps;

/// <summary>
/// A VU's own thread for sync tests, kept in its session. A sync test blocks the thread it runs on (sync I/O, sleeps);
/// on the thread pool, a few VUs doing so starve the rest (32 VUs of a test that blocks 20 ms reached 5 active and
/// 169 calls/s instead of 1,600 on 2 cores), so each VU calls them on a thread of its own, as Taurus does.
/// </summary>
internal sealed class NUnitUserThread : IVirtualUserResource
{
    private const string SessionKey = "LoadKit.NUnit thread";
    private readonly BlockingCollection<Action> _work = [];

    private NUnitUserThread(int userIndex)
    {
        var thread = new Thread(() =>
        {
            foreach (var work in _work.GetConsumingEnumerable())
            {
                work();
            }
        })
        {
            IsBackground = true, // a test that never returns must not keep the process alive
            Name = $"LoadKit NUnit VU {userIndex}",
        };
        thread.Start();
    }

    /// <summary>The VU's thread, started on its first sync test.</summary>
    public static NUnitUserThread For(Session session)
    {
        if (!session.TryGet<NUnitUserThread>(SessionKey, out var thread))
        {
            thread = new NUnitUserThread(session.UserIndex);
            session.Set(SessionKey, thread);
        }

        return thread;
    }

    /// <summary>Runs <paramref name="call"/> on this thread, waiting there for whatever it awaits; completes with its result.</summary>
    public Task<T> RunAsync<T>(Func<ValueTask<T>> call)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            try
            {
                var pending = call();
                done.SetResult(pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult());
            }
            catch (Exception exception)
            {
                done.SetException(exception);
            }
        });
        return done.Task;
    }

    /// <summary>Lets the thread end after its current call (it is not waited for: a test that hangs must not hold up the run's end).</summary>
    public ValueTask DisposeAsync()
    {
        _work.CompleteAdding();
        return ValueTask.CompletedTask;
    }
}
