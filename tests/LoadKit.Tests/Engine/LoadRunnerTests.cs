using System.Collections.Concurrent;
using System.Diagnostics;

namespace LoadKit.Tests.Engine;

public class LoadRunnerTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Test]
    public async Task RunAsync_IterationsPerUser_RunsEachStepExactlyUsersTimesIterations()
    {
        var seen = new ConcurrentBag<(int User, long Iteration, string Step)>();
        var scenario = Scenario.Create("exact")
            .Step("first", ctx => Record(ctx))
            .Step("second", ctx => Record(ctx))
            .WithLoad(Load.IterationsPerUser(users: 4, iterations: 25))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        var stats = result.GetScenario("exact");
        Assert.That(stats.Steps.Select(s => (s.Name, s.Ok, s.Failed, s.TimedOut, s.Cancelled)),
            Is.EqualTo(new[] { ("first", 100L, 0L, 0L, 0L), ("second", 100L, 0L, 0L, 0L) }));
        Assert.That(stats.Iterations.Ok, Is.EqualTo(100));
        Assert.That(stats.Users, Is.EqualTo(4));
        var expected = from user in Enumerable.Range(0, 4)
                       from iteration in Enumerable.Range(0, 25)
                       from step in new[] { "first", "second" }
                       select (user, (long)iteration, step);
        Assert.That(seen, Is.EquivalentTo(expected));
        Assert.That(result.Cancelled, Is.False);

        ValueTask Record(StepContext ctx)
        {
            seen.Add((ctx.UserIndex, ctx.Iteration, ctx.StepName));
            return ValueTask.CompletedTask;
        }
    }

    [Test]
    public async Task RunAsync_ConstantUsers_StopsByItselfAfterItsDuration()
    {
        var scenario = Scenario.Create("timed")
            .Step("wait", async ctx => await Task.Delay(10, ctx.CancellationToken))
            .WithLoad(Load.ConstantUsers(3, TimeSpan.FromSeconds(1)))
            .Build();

        var clock = Stopwatch.StartNew();
        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);
        clock.Stop();

        var stats = result.GetScenario("timed");
        Assert.That(stats.Duration, Is.InRange(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.5)));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
        Assert.That(stats.GetStep("wait").Ok, Is.GreaterThan(3 * 20));
        Assert.That(stats.GetStep("wait").Cancelled, Is.Zero);
        Assert.That(stats.Iterations.Ok, Is.EqualTo(stats.GetStep("wait").Ok));
    }

    /// <summary>
    /// A block's first VU runs its first iteration on the thread that starts the block (a worker's start thread, so its
    /// first request leaves without a hop), then moves to the thread pool: a step that never waits must not keep that
    /// thread, or the block's other VUs would not start. Here VU 0's later iterations wait (without yielding its thread)
    /// until VU 1 has run, which happens only if VU 0 let go of the thread that starts VU 1.
    /// </summary>
    [TestCase("by time")]
    [TestCase("by count")]
    public async Task RunAsync_FirstUserNeverYields_TheOtherUsersStillStart(string block)
    {
        var secondRan = false;
        var firstWaitedInVain = 0;
        var scenario = Scenario.Create(block)
            .Step("hold", ctx =>
            {
                if (ctx.UserIndex == 1)
                {
                    Volatile.Write(ref secondRan, true);
                }
                else if (ctx.Iteration > 0 && !SpinWait.SpinUntil(() => Volatile.Read(ref secondRan), TimeSpan.FromSeconds(10)))
                {
                    Interlocked.Increment(ref firstWaitedInVain);
                }

                // Once VU 1 has run, both pause between iterations (VU 0's first iteration never waits).
                return Volatile.Read(ref secondRan) ? new ValueTask(Task.Delay(5, ctx.CancellationToken)) : ValueTask.CompletedTask;
            })
            // 3 s: VU 1 may wait for a pool thread while other tests hold them; it must start before the block ends.
            .WithLoad(block == "by time" ? Load.ConstantUsers(2, TimeSpan.FromSeconds(3)) : Load.IterationsPerUser(2, 3))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        Assert.That(Volatile.Read(ref secondRan), Is.True, "VU 1 started");
        Assert.That(firstWaitedInVain, Is.Zero, "VU 0 never waited 10 s for VU 1");
        Assert.That(result.GetScenario(block).Iterations.Ok, block == "by time" ? Is.GreaterThan(2) : Is.EqualTo(6));
    }

    [Test]
    public async Task RunAsync_StepThrows_CountsFailureWithMessageAndEndsOnlyThatIteration()
    {
        var scenario = Scenario.Create("failing")
            .Step("maybe", ctx => ctx.Iteration % 2 == 1 ? throw new InvalidOperationException("boom") : ValueTask.CompletedTask)
            .Step("after", _ => ValueTask.CompletedTask)
            .WithLoad(Load.IterationsPerUser(2, 10))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        var stats = result.GetScenario("failing");
        Assert.That(stats.GetStep("maybe").Ok, Is.EqualTo(10));
        Assert.That(stats.GetStep("maybe").Failed, Is.EqualTo(10));
        Assert.That(stats.GetStep("maybe").Errors, Is.EqualTo(new[] { new ErrorCount("InvalidOperationException: boom", 10) }));
        Assert.That(stats.GetStep("after").Ok, Is.EqualTo(10));
        Assert.That((stats.Iterations.Ok, stats.Iterations.Failed), Is.EqualTo((10L, 10L)));
    }

    [Test]
    public async Task RunAsync_StepCallsFail_CountsFailureWithReason()
    {
        var scenario = Scenario.Create("explicit")
            .Step("stock", ctx =>
            {
                if (ctx.UserIndex == 0)
                {
                    ctx.Fail("out of stock");
                }

                return ValueTask.CompletedTask;
            })
            .WithLoad(Load.IterationsPerUser(3, 4))
            .Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetStep("stock");

        Assert.That((step.Ok, step.Failed), Is.EqualTo((8L, 4L)));
        Assert.That(step.FailureRate, Is.EqualTo(4 / 12.0));
        Assert.That(step.Errors, Is.EqualTo(new[] { new ErrorCount("out of stock", 4) }));
    }

    [Test]
    public async Task RunAsync_StepHonoursTokenPastItsTimeout_CountsTimeout()
    {
        var scenario = Scenario.Create("slow")
            .Step("hang", async ctx => await Task.Delay(Timeout.Infinite, ctx.CancellationToken), timeout: TimeSpan.FromMilliseconds(50))
            .WithLoad(Load.IterationsPerUser(2, 3))
            .Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetStep("hang");

        Assert.That((step.Ok, step.Failed, step.TimedOut, step.Cancelled), Is.EqualTo((0L, 0L, 6L, 0L)));
        Assert.That(step.Errors, Is.EqualTo(new[] { new ErrorCount("timed out after 50 ms", 6) }));
    }

    [Test]
    public async Task RunAsync_StepSwallowsItsTimeoutAndReturns_CountsTimeoutNotOk()
    {
        var scenario = Scenario.Create("swallow")
            .Step("polite", async ctx =>
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // Returns normally once the token fires, as code that checks the token and bails out does.
                }
            }, timeout: TimeSpan.FromMilliseconds(20))
            .WithLoad(Load.IterationsPerUser(2, 10))
            .Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetStep("polite");

        Assert.That((step.Ok, step.TimedOut), Is.EqualTo((0L, 20L)));
    }

    [Test]
    public async Task RunAsync_StepSwallowsTheStop_CountsCancelledNotOk()
    {
        var scenario = Scenario.Create("swallow stop")
            .Step("polite", async ctx =>
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                }
            })
            .WithLoad(Load.ConstantUsers(1, TimeSpan.FromMilliseconds(100)))
            .WithGracefulStop(TimeSpan.FromMilliseconds(100))
            .Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetStep("polite");

        Assert.That((step.Ok, step.Cancelled), Is.EqualTo((0L, 1L)));
    }

    [Test]
    public async Task RunAsync_StepIgnoresTokenAndReturnsLate_CountsTimeout()
    {
        var scenario = Scenario.Create("late")
            .Step("sleepy", async _ => await Task.Delay(60), timeout: TimeSpan.FromMilliseconds(20))
            .WithLoad(Load.IterationsPerUser(1, 2))
            .Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetStep("sleepy");

        Assert.That((step.Ok, step.TimedOut), Is.EqualTo((0L, 2L)));
    }

    [Test]
    public async Task RunAsync_CallerCancels_ReturnsPromptlyWithPartialResultMarkedCancelled()
    {
        var calls = 0;
        var enoughCalls = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scenario = Scenario.Create("long")
            .Step("tick", async ctx =>
            {
                if (Interlocked.Increment(ref calls) == 20)
                {
                    enoughCalls.TrySetResult();
                }

                await Task.Delay(5, ctx.CancellationToken);
            })
            .WithLoad(Load.ConstantUsers(4, TimeSpan.FromMinutes(5)))
            .Build();
        using var cancellation = new CancellationTokenSource();

        var run = LoadRunner.RunAsync(scenario, cancellation.Token);
        await enoughCalls.Task.WaitAsync(Bound);
        var clock = Stopwatch.StartNew();
        await cancellation.CancelAsync();
        var result = await run.WaitAsync(Bound);
        clock.Stop();

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));
        Assert.That(result.Cancelled, Is.True);
        var step = result.GetStep("tick");
        Assert.That(step.Ok, Is.GreaterThanOrEqualTo(16));
        Assert.That(step.Ok + step.Cancelled, Is.EqualTo(Volatile.Read(ref calls)));
        Assert.That(step.Failed + step.TimedOut, Is.Zero);
    }

    [Test]
    public async Task RunAsync_IterationInFlightAtEnd_FinishesWithinGracefulStop()
    {
        var scenario = Scenario.Create("graceful")
            .Step("long", async ctx => await Task.Delay(600, ctx.CancellationToken))
            .WithLoad(Load.ConstantUsers(2, TimeSpan.FromMilliseconds(300)))
            .WithGracefulStop(TimeSpan.FromSeconds(10))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        var step = result.GetStep("long");
        Assert.That((step.Ok, step.Cancelled), Is.EqualTo((2L, 0L)));
        Assert.That(result.GetScenario("graceful").Duration, Is.LessThan(TimeSpan.FromSeconds(5)));
    }

    [Test]
    public async Task RunAsync_GracefulStopElapses_CancelsInFlightIterationsAndCountsThem()
    {
        var scenario = Scenario.Create("overrun")
            .Step("endless", async ctx => await Task.Delay(Timeout.Infinite, ctx.CancellationToken))
            .WithLoad(Load.ConstantUsers(2, TimeSpan.FromMilliseconds(200)))
            .WithGracefulStop(TimeSpan.FromMilliseconds(200))
            .Build();

        var clock = Stopwatch.StartNew();
        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        var scenarioResult = result.GetScenario("overrun");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
        Assert.That((scenarioResult.GetStep("endless").Cancelled, scenarioResult.GetStep("endless").Failed), Is.EqualTo((2L, 0L)));
        Assert.That(scenarioResult.Iterations.Cancelled, Is.EqualTo(2));
        Assert.That(result.Cancelled, Is.False);
        Assert.That(scenarioResult.AbandonedUsers, Is.Zero);
    }

    [Test]
    public async Task RunAsync_StepIgnoresCancellation_AbandonsTheUserAndStillReturns()
    {
        var never = new TaskCompletionSource();
        var scenario = Scenario.Create("stuck")
            .Step("deaf", _ => new ValueTask(never.Task))
            .WithLoad(Load.ConstantUsers(1, TimeSpan.FromMilliseconds(100)))
            .WithGracefulStop(TimeSpan.Zero)
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        Assert.That(result.GetScenario("stuck").AbandonedUsers, Is.EqualTo(1));
        Assert.That(SummaryTable.Render(result), Does.Contain("1 users were abandoned"));
        never.SetResult();
    }

    [Test]
    public async Task RunAsync_CancellationCallbackBlocks_AbandonsTheUserAndStillReturns()
    {
        using var release = new ManualResetEventSlim();
        var scenario = Scenario.Create("blocking callback")
            .Step("sync over async", async ctx =>
            {
                ctx.CancellationToken.Register(release.Wait);
                await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            })
            .WithLoad(Load.ConstantUsers(1, TimeSpan.FromMilliseconds(100)))
            .WithGracefulStop(TimeSpan.Zero)
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        Assert.That(result.GetScenario("blocking callback").AbandonedUsers, Is.EqualTo(1));
        release.Set();
    }

    [Test]
    public async Task RunAsync_CleanupIgnoresItsToken_IsAbandonedAndTheRunReturns()
    {
        var never = new TaskCompletionSource();
        var scenario = Scenario.Create("stuck cleanup")
            .Step("a", _ => ValueTask.CompletedTask)
            .WithCleanup((_, _) => new ValueTask(never.Task))
            .WithStepTimeout(TimeSpan.FromMilliseconds(200))
            .WithLoad(Load.IterationsPerUser(2, 1))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        var stats = result.GetScenario("stuck cleanup");
        Assert.That(stats.AbandonedUsers, Is.EqualTo(2));
        Assert.That(stats.GetStep("a").Ok, Is.EqualTo(2));
        never.SetResult();
    }

    [Test]
    public async Task RunAsync_Init_RunsOncePerUserAndSessionLivesAcrossIterations()
    {
        var inits = 0;
        var cleanups = new ConcurrentBag<int>();
        var tokens = new ConcurrentDictionary<int, ConcurrentBag<string>>();
        var scenario = Scenario.Create("session")
            .WithInit((session, _) =>
            {
                Interlocked.Increment(ref inits);
                session.Set("token", $"token-{session.UserIndex}-{Guid.NewGuid()}");
                return ValueTask.CompletedTask;
            })
            .Step("use", ctx =>
            {
                tokens.GetOrAdd(ctx.UserIndex, _ => []).Add(ctx.Session.Get<string>("token"));
                return ValueTask.CompletedTask;
            })
            .WithCleanup((session, _) =>
            {
                cleanups.Add(session.UserIndex);
                return ValueTask.CompletedTask;
            })
            .WithLoad(Load.IterationsPerUser(3, 5), Load.IterationsPerUser(2, 5))
            .Build();

        var result = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetScenario("session");

        Assert.That(inits, Is.EqualTo(3));
        Assert.That(cleanups, Is.EquivalentTo(new[] { 0, 1, 2 }));
        Assert.That(tokens.Keys, Is.EquivalentTo(new[] { 0, 1, 2 }));
        Assert.That(tokens.Values.Select(t => t.Distinct().Count()), Is.All.EqualTo(1));
        Assert.That(tokens.Values.Sum(t => t.Count), Is.EqualTo(25));
        Assert.That(result.Init!.Ok, Is.EqualTo(3));
        Assert.That(result.Cleanup!.Ok, Is.EqualTo(3));
    }

    [Test]
    public async Task RunAsync_InitFails_ThatUserRunsNoIterationsAndTheFailureIsCounted()
    {
        var users = new ConcurrentBag<int>();
        var scenario = Scenario.Create("login")
            .WithInit((session, _) => session.UserIndex == 0 ? throw new UnauthorizedAccessException("bad password") : ValueTask.CompletedTask)
            .Step("use", ctx =>
            {
                users.Add(ctx.UserIndex);
                return ValueTask.CompletedTask;
            })
            .WithLoad(Load.IterationsPerUser(3, 2))
            .Build();

        var result = await LoadRunner.RunAsync(scenario).WaitAsync(Bound);

        var stats = result.GetScenario("login");
        Assert.That(users, Is.EquivalentTo(new[] { 1, 1, 2, 2 }));
        Assert.That((stats.Init!.Ok, stats.Init.Failed), Is.EqualTo((2L, 1L)));
        Assert.That(stats.Init.Errors, Is.EqualTo(new[] { new ErrorCount("UnauthorizedAccessException: bad password", 1) }));
        Assert.That(SummaryTable.Render(result), Does.Contain("init failed for 1 of 3 users"));
    }

    [Test]
    public async Task RunAsync_ThinkTime_LengthensIterationsButNotSteps()
    {
        var scenario = Scenario.Create("paced")
            .Step("a", _ => ValueTask.CompletedTask)
            .ThinkTime(TimeSpan.FromMilliseconds(50))
            .Step("b", _ => ValueTask.CompletedTask)
            .WithLoad(Load.IterationsPerUser(2, 5))
            .Build();

        var stats = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetScenario("paced");

        // Timers tick on a coarse clock (4 ms on Linux), so a pause may end a few milliseconds early.
        Assert.That(stats.Iterations.Latency.Min, Is.GreaterThan(TimeSpan.FromMilliseconds(45)));
        Assert.That(stats.Iterations.Ok, Is.EqualTo(10));
        Assert.That(stats.GetStep("b").Latency.Max, Is.LessThan(TimeSpan.FromMilliseconds(45)));
    }

    [Test]
    public async Task RunAsync_SeveralSeconds_TimelineHasAPointPerSecondThatSumsToTheTotals()
    {
        var scenario = Scenario.Create("timeline")
            .Step("tick", async ctx => await Task.Delay(20, ctx.CancellationToken))
            .WithLoad(Load.ConstantUsers(2, TimeSpan.FromSeconds(2.5)))
            .Build();

        var step = (await LoadRunner.RunAsync(scenario).WaitAsync(Bound)).GetStep("tick");

        Assert.That(step.Timeline.Select(p => p.Second), Is.EqualTo(Enumerable.Range(0, step.Timeline.Count)));
        Assert.That(step.Timeline, Has.Count.InRange(3, 4));
        Assert.That(step.Timeline.Sum(p => p.Ok), Is.EqualTo(step.Ok));
        Assert.That(step.Timeline.Take(2).Select(p => p.Ok), Is.All.GreaterThan(20));
        Assert.That(step.Timeline[0].Latency.P50, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(15)));
    }
}
