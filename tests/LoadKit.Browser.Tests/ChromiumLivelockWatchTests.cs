using System.Diagnostics;
using FluentAssertions;
using LoadKit.TestTargets;

namespace LoadKit.Browser.Tests;

/// <summary>
/// The watch for the kernel livelock of exiting Chromium processes (<see cref="ChromiumLivelockWatch"/>): a process of
/// this run named chromium that spends its time in the kernel is moved off the CPU it spins on.
/// </summary>
[NonParallelizable]
public class ChromiumLivelockWatchTests
{
    [Test]
    public async Task Watch_AChromiumOfThisRunSpinningInTheKernel_MovesItOffItsCpu()
    {
        Environment.ProcessorCount.Should().BeGreaterThan(1, "a move to another CPU needs two");
        var directory = Directory.CreateTempSubdirectory("loadkit-watch-");
        var moves = new List<string>();
        using var watch = ChromiumLivelockWatch.Start(message =>
        {
            lock (moves)
            {
                moves.Add(message);
            }
        });

        // dd copying /dev/zero to /dev/null spends nearly all its time in the kernel; under the name chromium (its
        // comm is the name it was started by) and with the watch's variable (inherited), it is what the watch looks for.
        File.CreateSymbolicLink(Path.Combine(directory.FullName, "chromium"), "/usr/bin/dd");
        using var spinner = Process.Start(new ProcessStartInfo(Path.Combine(directory.FullName, "chromium"), ["if=/dev/zero", "of=/dev/null", "bs=1M", "count=4000000"])
        {
            RedirectStandardError = true,
        })!;
        try
        {
            await Eventually.UntilAsync(
                () =>
                {
                    lock (moves)
                    {
                        return moves.Any(m => m.Contains($"of process {spinner.Id} ", StringComparison.Ordinal));
                    }
                },
                TimeSpan.FromSeconds(20),
                () => $"the watch moves a chromium of this run that spins in the kernel (it said: {string.Join("; ", moves)})");
            var allowed = File.ReadLines($"/proc/{spinner.Id}/status").Single(line => line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
            allowed.Should().NotEndWith($"0-{Environment.ProcessorCount - 1}", "it may no longer run on every CPU");
            TestContext.Out.WriteLine($"{string.Join(Environment.NewLine, moves)}{Environment.NewLine}{allowed}");
        }
        finally
        {
            spinner.Kill();
            await spinner.WaitForExitAsync();
            directory.Delete(recursive: true);
        }
    }
}
