using LoadKit.Cli.CommandLine;

namespace LoadKit.Cli.Import;

/// <summary>
/// <c>loadkit import FILE [-o PLAN]</c>: a HAR recording or a Postman collection → a plan file (<see cref="PlanImport"/>),
/// checked by the plan compiler before it is written; what was not imported or left out is printed, and the plan holds
/// the same list as comments.
/// </summary>
internal static class ImportCommand
{
    public const string HelpText = """
        loadkit import FILE [-o PLAN] [options]

          Makes a plan from a HAR 1.2 file (saved by a browser's dev tools, or Playwright's RecordHarPath) or a Postman
          collection v2.1 (File → Export), which the file's content tells apart. The plan replays the requests in order,
          once, with one user: set its load, then loadkit run PLAN.

          -o, --output PLAN       the plan to write: .yaml/.yml (YAML) or .json (JSON); - writes it to stdout
                                  (default: FILE's name with .yaml, in the current folder)
          --force                 replace PLAN if it exists
          --scenario NAME         the scenario's name (default: the collection's name, or the recorded host)

          Postman collections:
          --env FILE              a Postman environment (Environments → Export): its enabled values become variables
                                  too, over the collection's of the same name

          HAR files (what a recording holds that is not the system under test stays out, and is listed):
          --host HOST             keep requests to HOST (shop.example, or 127.0.0.1:5000 for one port); repeatable
                                  (default: the host of the first page recorded; other hosts are left out)
          --include-static        keep stylesheets, scripts, images, fonts and media (default: left out)

          Whatever the file holds that a plan cannot express (scripts, OAuth and other auth types, file uploads,
          variables it does not define, recorded cookies) is printed under "Not imported" and written as comments on
          top of the plan: nothing is dropped silently. A Postman test script's pm.*.set("name", pm.response.json().x)
          becomes an extraction (extract: name: { jsonPath: $.x }); the rest of a script does not run.

        Exit code: 0 the plan was written; 2 bad input (no such file, not a HAR file or a v2.1 collection, the plan
        exists, the command line is wrong).
        """;

    private static readonly IReadOnlyList<OptionSpec> Options =
    [
        new("-o", "a plan file (.yaml, .yml or .json), or - for stdout"),
        new("--output", "a plan file (.yaml, .yml or .json), or - for stdout"),
        new("--force", null),
        new("--scenario", "a scenario name"),
        new("--host", "a host name, or host:port", Repeatable: true),
        new("--include-static", null),
        new("--env", "a Postman environment file (.json)"),
    ];

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var arguments = CommandArguments.Parse("loadkit import", args, Options);
        if (arguments.Help)
        {
            await output.WriteLineAsync(HelpText);
            return ExitCode.Passed;
        }

        if (arguments.NotOneOperand("FILE", "give a HAR file or a Postman collection, e.g. loadkit import recording.har -o checkout.yaml.", "one file at a time.") is { } operand)
        {
            arguments.Problems.Add(operand);
        }

        arguments.RefuseBoth("-o", "--output");

        var target = arguments.Value("-o") ?? arguments.Value("--output");
        if (target is not null and not "-" && Path.GetExtension(target).ToLowerInvariant() is not (".yaml" or ".yml" or ".json"))
        {
            arguments.Problems.Add($"-o = '{target}': a plan file ends in .yaml, .yml or .json (or give - for stdout).");
        }

        if (arguments.Value("--scenario") is { } scenario && string.IsNullOrWhiteSpace(scenario))
        {
            arguments.Problems.Add("--scenario = '': a scenario name that is not blank.");
        }

        if (arguments.Values("--host").FirstOrDefault(h => string.IsNullOrWhiteSpace(h) || h.Contains('/', StringComparison.Ordinal)) is { } host)
        {
            arguments.Problems.Add($"--host = '{host}': a host name or host:port, without scheme or path (e.g. shop.example or 127.0.0.1:5000).");
        }

        if (arguments.Problems.Count > 0)
        {
            return await Usage.FailAsync(error, "loadkit import", arguments.Problems);
        }

        var file = arguments.Operands[0];
        target ??= DefaultPlanName(file);
        if (target != "-" && File.Exists(target) && !arguments.Has("--force"))
        {
            await error.WriteLineAsync($"loadkit import: -o = '{target}': the file exists (it may be a plan you edited); give another name, or --force to replace it.");
            return ExitCode.BadInput;
        }

        ImportedPlan imported;
        try
        {
            imported = PlanImport.Read(file, new PlanImportOptions
            {
                Hosts = arguments.Values("--host"),
                IncludeStaticResources = arguments.Has("--include-static"),
                ScenarioName = arguments.Value("--scenario"),
                PostmanEnvironment = arguments.Value("--env") is { } environment ? Path.GetFullPath(environment) : null,
            });
        }
        catch (FileNotFoundException)
        {
            await error.WriteLineAsync($"loadkit import: FILE = '{file}': no such file (looked for {Path.GetFullPath(file)}); give a .har file or a Postman collection (.json).");
            return ExitCode.BadInput;
        }
        catch (InvalidDataException exception)
        {
            await error.WriteLineAsync($"loadkit import: FILE = '{file}': {exception.Message}");
            return ExitCode.BadInput;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"loadkit import: FILE = '{file}': cannot be read: {exception.Message}");
            return ExitCode.BadInput;
        }

        var text = imported.ToText(target == "-" ? "plan.yaml" : target);
        try
        {
            // What the importer writes must compile: a plan that does not would only fail later, at run time.
            PlanFile.Parse(text, target == "-" ? "plan.yaml" : Path.GetFileName(target), Path.GetDirectoryName(Path.GetFullPath(file)));
        }
        catch (PlanFileException exception)
        {
            await error.WriteLineAsync($"loadkit import: the plan made from '{file}' does not compile, so it was not written (please report this):");
            foreach (var problem in exception.Problems)
            {
                await error.WriteLineAsync("  " + problem);
            }

            return ExitCode.BadInput;
        }

        var summary = target == "-" ? error : output;
        await Notes(error, $"Not imported ({imported.NotImported.Count}): a plan cannot say these; add what matters by hand", imported.NotImported);
        await Notes(error, $"Left out or changed ({imported.LeftOut.Count})", imported.LeftOut);
        if (target == "-")
        {
            await output.WriteAsync(text);
        }
        else
        {
            try
            {
                await File.WriteAllTextAsync(target, text);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"loadkit import: -o = '{target}': cannot be written: {exception.Message}");
                return ExitCode.BadInput;
            }
        }

        await summary.WriteLineAsync($"Imported {imported.Steps.Count} request{(imported.Steps.Count == 1 ? "" : "s")} from {Path.GetFileName(file)} ({imported.Format})" +
            (target == "-" ? "." : $" into {target}; the notes are on top of it. Next: set its load, then loadkit run {target}"));
        return ExitCode.Passed;
    }

    /// <summary><c>shop.postman_collection.json</c> → <c>shop.yaml</c>, <c>recording.har</c> → <c>recording.yaml</c>.</summary>
    private static string DefaultPlanName(string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        foreach (var suffix in new[] { ".postman_collection", ".har" })
        {
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && name.Length > suffix.Length)
            {
                name = name[..^suffix.Length];
            }
        }

        return name + ".yaml";
    }

    private static async Task Notes(TextWriter error, string title, IReadOnlyList<string> notes)
    {
        if (notes.Count == 0)
        {
            return;
        }

        await error.WriteLineAsync(title + ":");
        foreach (var note in notes)
        {
            await error.WriteLineAsync("  - " + note);
        }
    }
}
