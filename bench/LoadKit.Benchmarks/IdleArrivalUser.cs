using System.Diagnostics;
using LoadKit.Engine;
using LoadKit.HttpSteps;

namespace LoadKit.Benchmarks;

/// <summary>
/// One open-model VU idle in its pool, as the arrival scheduler finds it, and the scheduler's hand-over of iterations
/// to it: the benchmarks of a fixed rate's path (<see cref="EngineBenchmarks"/>, <see cref="HttpEngineBenchmarks"/>).
/// </summary>
internal sealed class IdleArrivalUser : IDisposable
{
    private readonly VirtualUser _user;
    private readonly ArrivalPool _pool = new(1);
    private readonly Task _loop;

    private IdleArrivalUser(Scenario scenario, HttpClients? http)
    {
        _user = EngineBenchmarks.NewUser(scenario, http);
        _user.OpenMailbox();
        var initialised = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop = Task.Run(() => _user.RunScheduledAsync(_pool, joinPool: true, initialised, CancellationToken.None));
        initialised.Task.Wait();
    }

    /// <summary>A VU of <paramref name="steps"/> as an arrival-rate scenario, with <paramref name="http"/>'s clients if it sends HTTP.</summary>
    public static IdleArrivalUser Of(ScenarioBuilder steps, HttpClients? http = null) =>
        new(steps.WithLoad(Load.ArrivalRate(1, TimeSpan.FromSeconds(1), preAllocatedUsers: 1, maxUsers: 1)).Build(), http);

    /// <summary>
    /// Hands <paramref name="count"/> iterations to the VU one after the other, on this thread up to the iteration's first
    /// wait (<paramref name="inline"/>, the scheduler's way while starts are quick) or on the thread pool; spins until the
    /// VU is back in the pool before each, and after the last.
    /// </summary>
    public void HandOver(int count, bool inline)
    {
        for (var i = 0; i < count; i++)
        {
            Rent().Post(new ScheduledIteration(Stopwatch.GetTimestamp(), WarmUp: false), inline);
        }

        _pool.Return(Rent());
    }

    public void Dispose()
    {
        _user.CloseMailbox();
        _loop.Wait();
        _user.Dispose();
    }

    private VirtualUser Rent()
    {
        VirtualUser? user;
        var spin = default(SpinWait);
        while (!_pool.TryRent(out user))
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }

        return user;
    }
}
