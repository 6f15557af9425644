using System.Globalization;
using FluentAssertions;
using LoadKit.TestTargets;

namespace LoadKit.Browser.Tests;

/// <summary>
/// What a browser VU costs on this machine: memory (RSS and PSS of the chromium process tree, from /proc) and CPU
/// seconds, with 1, 5 and 10 contexts open on the live page, each having clicked through it. Explicit: it takes about
/// half a minute; run it with <c>--filter FullyQualifiedName~BrowserCostMeasurement</c> and read its output.
/// </summary>
[Explicit("a measurement for the README; about 30 s")]
[NonParallelizable]
public class BrowserCostMeasurement
{
    [Test]
    public async Task OpenContexts_1_5_10_ReportMemoryAndCpuPerUser()
    {
        await using var server = await LivePageServer.StartAsync();
        var users = new List<BrowserUser>();
        var rows = new List<(int Users, double RssMb, double PssMb, double CpuSeconds, int Processes)>();
        try
        {
            foreach (var target in new[] { 1, 5, 10 })
            {
                var cpuBefore = ChromiumTree().Sum(p => p.CpuSeconds);
                var added = new List<BrowserUser>();
                while (users.Count < target)
                {
                    var user = await BrowserPool.Shared.OpenAsync(CancellationToken.None);
                    users.Add(user);
                    added.Add(user);
                }

                // Each new VU loads the page and clicks through it ten times, as a VU of the test above does.
                await Task.WhenAll(added.Select(async user =>
                {
                    await user.Page.GotoAsync(server.PageUrl.ToString());
                    for (var i = 1; i <= 10; i++)
                    {
                        await user.Page.ClickAsync("#ping");
                        await user.Page.WaitForFunctionAsync($"() => document.getElementById('status').textContent === 'pong {i}'");
                    }
                }));
                var tree = ChromiumTree();
                rows.Add((target, tree.Sum(p => p.RssMb), tree.Sum(p => p.PssMb), tree.Sum(p => p.CpuSeconds) - cpuBefore, tree.Count));
            }
        }
        finally
        {
            foreach (var user in users)
            {
                await user.DisposeAsync();
            }
        }

        foreach (var (count, rss, pss, cpu, processes) in rows)
        {
            TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{count,2} contexts: {processes} chromium processes, RSS {rss:0} MB, PSS {pss:0} MB; CPU for the added VUs' load + 10 clicks: {cpu:0.00} s"));
        }

        var perUserPss = (rows[^1].PssMb - rows[0].PssMb) / (rows[^1].Users - rows[0].Users);
        var perUserCpu = (rows[1].CpuSeconds + rows[2].CpuSeconds) / (rows[^1].Users - rows[0].Users);
        var available = new BrowserSettings().MaxUsersPerProcess;
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"per added VU: PSS {perUserPss:0} MB, CPU {perUserCpu:0.00} s for a page load and 10 clicks; the default cap here allows {available} VUs (1 per 300 MB available)"));
        rows.Should().HaveCount(3);
        rows[^1].PssMb.Should().BeGreaterThan(rows[0].PssMb, "more contexts take more memory");
        server.Connections.Should().Be(10);
    }

    /// <summary>The chromium processes below this one (Playwright's driver starts the browser): RSS, PSS (MB) and CPU seconds.</summary>
    private static List<(int Pid, double RssMb, double PssMb, double CpuSeconds)> ChromiumTree()
    {
        var parents = new Dictionary<int, int>();
        var names = new Dictionary<int, string>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var close = stat.LastIndexOf(')');
                names[pid] = stat[(stat.IndexOf('(') + 1)..close];
                parents[pid] = int.Parse(stat[(close + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The process ended while being read.
            }
        }

        bool Below(int pid)
        {
            for (var p = pid; parents.TryGetValue(p, out var parent) && p > 1; p = parent)
            {
                if (parent == Environment.ProcessId)
                {
                    return true;
                }
            }

            return false;
        }

        var tree = new List<(int, double, double, double)>();
        foreach (var (pid, name) in names)
        {
            if (!name.StartsWith("chrom", StringComparison.Ordinal) || !Below(pid))
            {
                continue;
            }

            try
            {
                var rss = Kilobytes(File.ReadLines($"/proc/{pid}/status"), "VmRSS:");
                var pss = Kilobytes(File.ReadLines($"/proc/{pid}/smaps_rollup"), "Pss:");
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                tree.Add((pid, rss / 1024.0, pss / 1024.0, ticks / 100.0));
            }
            catch (IOException)
            {
            }
        }

        return tree;
    }

    private static long Kilobytes(IEnumerable<string> lines, string key) =>
        lines.Where(l => l.StartsWith(key, StringComparison.Ordinal))
            .Select(l => long.Parse(l[key.Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture))
            .FirstOrDefault();
}
