using LoadKit.Results;
using LoadKit.Stats;

namespace LoadKit.Tests.Stats;

public class StepRecorderTests
{
    [Test]
    public async Task Record_ManyThreadsWhileCollecting_CountsEverySampleExactlyOnce()
    {
        var recorder = new StepRecorder("step");
        const int Threads = 8;
        const int PerThread = 50_000;
        var writersDone = 0;
        var writers = Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                var outcome = (i % 10) switch { 0 => Outcome.Failed, 1 => Outcome.TimedOut, 2 => Outcome.Cancelled, _ => Outcome.Ok };
                recorder.Record(outcome, 1 + (i % 1000));
            }

            Interlocked.Increment(ref writersDone);
        })).ToArray();

        // The collector closes intervals while the writers write, as it does once a second in a run.
        var second = 0;
        while (Volatile.Read(ref writersDone) < Threads)
        {
            recorder.CollectInterval(second++);
            await Task.Yield();
        }

        await Task.WhenAll(writers);
        recorder.CollectInterval(second);
        var stats = recorder.ToStats(TimeSpan.FromSeconds(1));

        const long Total = Threads * PerThread;
        Assert.That(stats.Ok, Is.EqualTo(Total * 7 / 10));
        Assert.That(stats.Failed, Is.EqualTo(Total / 10));
        Assert.That(stats.TimedOut, Is.EqualTo(Total / 10));
        Assert.That(stats.Cancelled, Is.EqualTo(Total / 10));
        Assert.That(stats.Latency.Min, Is.EqualTo(TimeSpan.FromMicroseconds(4)));
        Assert.That(stats.Latency.Max, Is.EqualTo(TimeSpan.FromMicroseconds(1000)));
        Assert.That(stats.Timeline.Sum(p => p.Ok), Is.EqualTo(stats.Ok));
        Assert.That(stats.Timeline.Sum(p => p.Failed), Is.EqualTo(stats.Failed));
        Assert.That(stats.Timeline.Sum(p => p.Latency.Count), Is.EqualTo(stats.Latency.Count));
        Assert.That(stats.Timeline.Select(p => p.Second), Is.EqualTo(Enumerable.Range(0, second + 1)));
    }

    [Test]
    public async Task RecordUnderTheHeldStripe_AnIterationsLastRecordsAreCollectedTogether_AndGrpcCountsAreExact()
    {
        // A scenario's recorders share its record lock: a VU holds one stripe around the step that ends an iteration and the
        // iteration, and the collector holds every stripe while it swaps their halves, as StatsCollector does each second.
        var locks = new StripedRecordLock();
        var step = new StepRecorder("step", locks);
        var iterations = new StepRecorder("iteration", locks);
        const int Threads = 8;
        const int PerThread = 40_000;
        var writersDone = 0;
        var writers = Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                step.RecordGrpc(i % 5 == 0 ? 14 : 0);
                step.RecordGrpc(sent: 1, received: 1);
                using var held = locks.Enter();
                step.Record(held, Outcome.Ok, 10, 10);
                iterations.Record(held, Outcome.Ok, 12, 12);
            }

            Interlocked.Increment(ref writersDone);
        })).ToArray();

        var second = 0;
        void Collect()
        {
            locks.HoldAll();
            try
            {
                step.EndInterval();
                iterations.EndInterval();
            }
            finally
            {
                locks.ReleaseAll();
            }

            step.CollectInterval(second);
            iterations.CollectInterval(second++);
        }

        // On a thread of its own: eight writers would keep a collector on the thread pool from running until they end.
        var collector = new Thread(() =>
        {
            while (Volatile.Read(ref writersDone) < Threads)
            {
                Collect();
                Thread.Yield();
            }
        });
        collector.Start();
        await Task.WhenAll(writers);
        collector.Join();
        Collect();
        var (steps, iterated) = (step.ToStats(TimeSpan.FromSeconds(1)), iterations.ToStats(TimeSpan.FromSeconds(1)));

        const long Total = Threads * PerThread;
        Assert.That(second, Is.GreaterThan(2), "intervals collected while the threads recorded");
        Assert.That(steps.Timeline.Select(p => p.Ok), Is.EqualTo(iterated.Timeline.Select(p => p.Ok)), "each interval has every iteration's step");
        Assert.That(iterated.Ok, Is.EqualTo(Total));
        Assert.That(steps.Grpc!.StatusCodes, Is.EqualTo(new[] { new StatusCodeCount(0, Total * 4 / 5), new StatusCodeCount(14, Total / 5) }));
        Assert.That((steps.Grpc.MessagesSent, steps.Grpc.MessagesReceived), Is.EqualTo((Total, Total)));
    }

    [Test]
    public void RecordError_MoreDistinctMessagesThanKept_CountsTheRestAsOther()
    {
        var recorder = new StepRecorder("step");
        for (var i = 0; i < ErrorTable.MaxDistinct + 50; i++)
        {
            recorder.RecordError($"order {i} failed");
        }

        recorder.RecordError("order 0 failed");
        recorder.CollectInterval(0);
        var errors = recorder.ToStats(TimeSpan.FromSeconds(1)).Errors;

        Assert.That(errors.Sum(e => e.Count), Is.EqualTo(ErrorTable.MaxDistinct + 51));
        Assert.That(errors, Has.Count.EqualTo(ErrorTable.MaxDistinct + 1));
        Assert.That(errors[0], Is.EqualTo(new ErrorCount(ErrorTable.OtherErrors, 50)));
        Assert.That(errors[1], Is.EqualTo(new ErrorCount("order 0 failed", 2)));
    }
}
