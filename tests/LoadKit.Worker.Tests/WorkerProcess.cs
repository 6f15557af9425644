using System.Collections.Concurrent;
using System.Diagnostics;

namespace LoadKit.Worker.Tests;

/// <summary>A real worker process started by a test, its output collected, and stopped by its PID.</summary>
internal sealed class WorkerProcess : IAsyncDisposable
{
    public const string Token = "test-token-0123456789abcdef";

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly SemaphoreSlim _newLine = new(0);

    private WorkerProcess(Process process) => _process = process;

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output => string.Join(Environment.NewLine, _lines);

    public static WorkerProcess Start(params string[] arguments) => StartWithToken(Token, arguments);

    /// <summary>Starts the built worker with <paramref name="environment"/> set in its process (besides the token).</summary>
    public static WorkerProcess Start(string[] arguments, IReadOnlyDictionary<string, string>? environment) =>
        Start("dotnet", [WorkerAssembly(), .. arguments], Token, environment);

    public static WorkerProcess StartWithToken(string? token, params string[] arguments) => Start("dotnet", [WorkerAssembly(), .. arguments], token);

    /// <summary>Starts an installed <c>loadkit-worker</c> command (the packed dotnet tool) instead of the built assembly.</summary>
    public static WorkerProcess StartCommand(string command, params string[] arguments) => Start(command, arguments, Token);

    private static WorkerProcess Start(string command, string[] arguments, string? token, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove(WorkerOptions.TokenVariable);
        if (token is not null)
        {
            start.Environment[WorkerOptions.TokenVariable] = token;
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var worker = new WorkerProcess(Process.Start(start)!);
        worker._process.OutputDataReceived += (_, e) => worker.Collect(e.Data);
        worker._process.ErrorDataReceived += (_, e) => worker.Collect(e.Data);
        worker._process.BeginOutputReadLine();
        worker._process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>Waits until a line of output contains <paramref name="text"/>; returns the line.</summary>
    public async Task<string> WaitForOutputAsync(string text, TimeSpan timeout) => (await WaitForOutputAsync(text, 1, timeout))[0];

    /// <summary>Waits until the worker printed <paramref name="count"/> lines with the text; returns them.</summary>
    public async Task<string[]> WaitForOutputAsync(string text, int count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var lines = _lines.Where(l => l.Contains(text, StringComparison.Ordinal)).Take(count).ToArray();
            if (lines.Length == count)
            {
                return lines;
            }

            var left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero || !await _newLine.WaitAsync(left))
            {
                throw new TimeoutException($"The worker did not print '{text}' {count} time(s) within {timeout}. Its output:{Environment.NewLine}{Output}");
            }
        }
    }

    /// <summary>Sends SIGTERM, as a container runtime or Ctrl-C would.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Sends SIGKILL: the process dies without a word.</summary>
    public void KillHard() => _process.Kill();

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
    }

    private void Collect(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
            _newLine.Release();
        }
    }

    /// <summary>The worker built next to this test project, in the same configuration.</summary>
    private static string WorkerAssembly() => BuiltAssembly(Path.Combine("src", "LoadKit.Worker"), "LoadKit.Worker.dll");

    /// <summary>An assembly of another project of the repository, built in the same configuration as this one.</summary>
    internal static string BuiltAssembly(string projectFolder, string fileName)
    {
        var folder = AppContext.BaseDirectory.Replace(Path.Combine("tests", "LoadKit.Worker.Tests"), projectFolder, StringComparison.Ordinal);
        var assembly = Path.Combine(folder, fileName);
        return File.Exists(assembly) ? assembly : throw new FileNotFoundException($"{fileName} is not built at {assembly}.");
    }
}
