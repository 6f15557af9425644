using LoadKit.Cli.CommandLine;
using LoadKit.Cli.Import;
using LoadKit.Cli.Init;
using LoadKit.Cli.Plans;
using LoadKit.Cli.Reports;
using LoadKit.Cli.Running;
using LoadKit.Cli.Serving;
using LoadKit.Cli.Workers;

using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl-C stops the load and still prints and writes what was measured.
    e.Cancel = true;
    interrupted.Cancel();
};

switch (args)
{
    case [] or ["--help"] or ["-h"] or ["-?"] or ["help"]:
        Console.WriteLine(Usage.Commands);
        return args.Length == 0 ? ExitCode.BadInput : ExitCode.Passed;
    case ["run", .. var rest]:
        return await RunCommand.RunAsync(rest, Console.Out, Console.Error, interrupted.Token);
    case ["validate", .. var rest]:
        return await PlanCommands.ValidateAsync(rest, Console.Out, Console.Error);
    case ["schema", .. var rest]:
        return await PlanCommands.SchemaAsync(rest, Console.Out, Console.Error);
    case ["import", .. var rest]:
        return await ImportCommand.RunAsync(rest, Console.Out, Console.Error);
    case ["report", .. var rest]:
        return await ReportCommand.RunAsync(rest, Console.Out, Console.Error, interrupted.Token);
    case ["init", .. var rest]:
        return await InitCommand.RunAsync(rest, Console.Out, Console.Error);
    case ["serve", .. var rest]:
        return await ServeCommand.RunAsync(rest, Console.Out, Console.Error, interrupted.Token);
    case ["workers", .. var rest]:
        return await WorkersCommand.RunAsync(rest, Console.Out, Console.Error, interrupted.Token);
    default:
        await Console.Error.WriteLineAsync($"loadkit: '{args[0]}' is not a command; allowed: run, validate, schema, workers, serve, import, report, init (see loadkit --help).");
        return ExitCode.BadInput;
}
