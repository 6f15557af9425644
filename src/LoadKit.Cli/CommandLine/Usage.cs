namespace LoadKit.Cli.CommandLine;

/// <summary>The tool's own help, and how every command reports a command line it cannot use.</summary>
internal static class Usage
{
    public const string Commands = """
        loadkit: runs LoadKit plan files (YAML or JSON load tests) and test assemblies' scenarios from a shell or a CI job.

          loadkit run PLAN [options]       run a plan here, or on workers (--etcd URL --workers N): live progress,
                                           summary, reports; exit code = the thresholds' verdict
          loadkit run TESTS.dll [options]  run a compiled test assembly's scenario factories, here or on workers
          loadkit validate PLAN            check a plan without running it; every problem with its file, line and column
          loadkit schema                   print the plan files' JSON Schema (for editors)
          loadkit workers [--etcd URL]     list the workers registered in etcd: state, address, labels
          loadkit serve [--dir DIR]        the control page: workers, plans, runs started and watched live in a browser,
                                           finished runs with their reports (on 127.0.0.1:5665 by default)
          loadkit import FILE [-o PLAN]    make a plan from a HAR recording or a Postman collection v2.1; lists what it
                                           cannot import
          loadkit report RESULT.json       write the reports of a saved result again (--report-dir DIR)
          loadkit init [plan|tests]        write a plan to start from, or an NUnit load-test project

          loadkit COMMAND --help           the options of a command

        Exit codes: 0 passed; 1 a threshold failed; 2 bad input (command line, settings, plan); 3 the run could not be done.
        Plans: docs/plan-files.md.
        """;

    /// <summary>Prints the problems and where to find help; returns <see cref="ExitCode.BadInput"/>.</summary>
    public static async Task<int> FailAsync(TextWriter error, string command, IEnumerable<string> problems)
    {
        await error.WriteLineAsync($"{command}: cannot run:");
        foreach (var problem in problems)
        {
            await error.WriteLineAsync("  - " + problem);
        }

        await error.WriteLineAsync($"See {command} --help.");
        return ExitCode.BadInput;
    }
}
