using System.Diagnostics;
using LoadKit.TestTargets;

namespace LoadKit.Cli.Tests;

/// <summary>What a run of the <c>loadkit</c> command gave: its exit code and what it printed.</summary>
internal sealed record CommandOutput(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit code {ExitCode}{Environment.NewLine}stdout:{Environment.NewLine}{Output}{Environment.NewLine}stderr:{Environment.NewLine}{Error}";
}

/// <summary>Runs the built <c>loadkit</c> tool (or an installed one) as a process, bounded in time, with no LoadKit settings but the ones given.</summary>
internal static class LoadkitProcess
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    /// <summary>The tool built beside this test assembly, in the same configuration.</summary>
    public static string Built
    {
        get
        {
            var folder = AppContext.BaseDirectory.Replace(Path.Combine("tests", "LoadKit.Cli.Tests"), Path.Combine("src", "LoadKit.Cli"), StringComparison.Ordinal);
            var program = Path.Combine(folder, "LoadKit.Cli");
            return File.Exists(program) ? program : throw new FileNotFoundException($"The loadkit tool is not built at {program}.");
        }
    }

    /// <summary>Runs <c>dotnet</c> with <paramref name="arguments"/> in <paramref name="folder"/>; fails the test unless it exits with 0.</summary>
    public static async Task DotnetAsync(string folder, params string[] arguments)
    {
        var result = await RunAsync("dotnet", folder, new Dictionary<string, string>(), arguments);
        Assert.That(result.ExitCode, Is.Zero, $"dotnet {string.Join(' ', arguments)} failed: {result}");
    }

    /// <summary>tests/Fixtures/ScenarioFactoryTests, a team's load-test assembly with scenario factories, built beside this test assembly.</summary>
    public static string ScenarioFactoryTests
    {
        get
        {
            var folder = AppContext.BaseDirectory.Replace(Path.Combine("tests", "LoadKit.Cli.Tests"), Path.Combine("tests", "Fixtures", "ScenarioFactoryTests"), StringComparison.Ordinal);
            var assembly = Path.Combine(folder, "ScenarioFactoryTests.dll");
            return File.Exists(assembly) ? assembly : throw new FileNotFoundException($"The fixture is not built at {assembly}.");
        }
    }

    public static Task<CommandOutput> RunAsync(string folder, params string[] arguments) => RunAsync(Built, folder, new Dictionary<string, string>(), arguments);

    public static async Task<CommandOutput> RunAsync(string command, string folder, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Only the settings a test gives: a LOADKIT_ variable of the machine running the tests must not steer the tool.
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("LOADKIT_", StringComparison.Ordinal) || k == "GITHUB_STEP_SUMMARY").ToArray())
        {
            start.Environment.Remove(inherited);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(Bound);
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // the process this test started, by its handle
            Assert.Fail($"'{command} {string.Join(' ', arguments)}' did not finish within {Bound}.");
        }

        var result = new CommandOutput(process.ExitCode, await output, await error);
        TestContext.Out.WriteLine($"$ loadkit {string.Join(' ', arguments)}{Environment.NewLine}{result}");
        return result;
    }
}
