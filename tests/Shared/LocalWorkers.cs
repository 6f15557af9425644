using System.Diagnostics;
using System.Globalization;

namespace LoadKit.TestTargets;

/// <summary>
/// LoadKit worker processes on this machine (src/LoadKit.Worker, built next to the caller), registered in one etcd
/// under one prefix, and stopped by their PIDs: SIGTERM first (a worker revokes its lease and exits), then a kill.
/// Their standard error, and the lines of their standard output that say when a run started and whether its test
/// assembly unloaded, go to this process's standard error, prefixed with the worker's PID.
/// </summary>
internal sealed class LocalWorkers : IAsyncDisposable
{
    private readonly List<Process> _processes = [];
    private readonly List<string> _forwarded = [];

    private LocalWorkers()
    {
    }

    public IReadOnlyList<int> ProcessIds => [.. _processes.Select(p => p.Id)];

    /// <summary>The lines forwarded so far: when a run started, whether its test assembly unloaded.</summary>
    public IReadOnlyList<string> ForwardedLines
    {
        get
        {
            lock (_forwarded)
            {
                return [.. _forwarded];
            }
        }
    }

    /// <summary>Waits until <paramref name="count"/> forwarded lines contain <paramref name="text"/>; returns them.</summary>
    public async Task<IReadOnlyList<string>> WaitForLinesAsync(string text, int count, TimeSpan timeout)
    {
        string[] Matching() => [.. ForwardedLines.Where(l => l.Contains(text, StringComparison.Ordinal))];
        await Eventually.UntilAsync(
            () => Matching().Length >= count, timeout, () => $"{Matching().Length} of {count} worker lines with '{text}': {string.Join(" | ", ForwardedLines)}");
        return Matching();
    }

    private void Forward(int id, string? line)
    {
        if (line is null || !(line.Contains("after the instant", StringComparison.Ordinal) || line.Contains("test assembly", StringComparison.Ordinal)
            || line.Contains("bytes on average", StringComparison.Ordinal)))
        {
            return;
        }

        lock (_forwarded)
        {
            _forwarded.Add(line);
        }

        Console.Error.WriteLine($"worker {id}: {line}");
    }

    /// <summary>Starts <paramref name="count"/> workers labelled <c>n=1</c> to <c>n=count</c>.</summary>
    /// <param name="callerProjectFolder">The caller's project folder from the repository root, e.g. <c>samples/Distributed</c>, to find the worker built next to it.</param>
    /// <param name="environment">Environment variables for worker i (from 0), or null.</param>
    public static LocalWorkers Start(int count, string etcdUrl, string prefix, string token, string callerProjectFolder, Func<int, IReadOnlyDictionary<string, string>>? environment = null)
    {
        var assembly = WorkerAssembly(callerProjectFolder);
        var workers = new LocalWorkers();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var start = new ProcessStartInfo("dotnet", [assembly, "--etcd", etcdUrl, "--prefix", prefix, "--label", $"n={i + 1}"])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                };
                start.Environment[ClusterOptions.TokenVariable] = token;
                foreach (var (name, value) in environment?.Invoke(i) ?? new Dictionary<string, string>())
                {
                    start.Environment[name] = value;
                }

                var worker = Process.Start(start) ?? throw new InvalidOperationException($"dotnet {assembly} did not start.");
                workers._processes.Add(worker);
                var id = worker.Id;
                worker.OutputDataReceived += (_, e) => workers.Forward(id, e.Data);
                worker.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"worker {id}: {e.Data}"); };
                worker.BeginOutputReadLine();
                worker.BeginErrorReadLine();
            }

            return workers;
        }
        catch
        {
            workers.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _processes)
        {
            if (!worker.HasExited)
            {
                using var kill = Process.Start("kill", ["-TERM", worker.Id.ToString(CultureInfo.InvariantCulture)]);
                await kill.WaitForExitAsync();
            }
        }

        foreach (var worker in _processes)
        {
            try
            {
                await worker.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                worker.Kill();
                await worker.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }

            worker.Dispose();
        }

        _processes.Clear();
    }

    /// <summary>The worker built next to the caller's project, in the same configuration.</summary>
    private static string WorkerAssembly(string callerProjectFolder)
    {
        var folder = AppContext.BaseDirectory.Replace(
            Path.Combine(callerProjectFolder.Split('/')), Path.Combine("src", "LoadKit.Worker"), StringComparison.Ordinal);
        var assembly = Path.Combine(folder, "LoadKit.Worker.dll");
        return File.Exists(assembly) ? assembly : throw new FileNotFoundException($"The worker is not built at {assembly}.");
    }
}
