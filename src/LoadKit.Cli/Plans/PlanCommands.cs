using LoadKit.Cli.CommandLine;

namespace LoadKit.Cli.Plans;

/// <summary><c>loadkit validate PLAN</c> and <c>loadkit schema</c>: the plan checked without running it, and the schema editors use.</summary>
internal static class PlanCommands
{
    public const string ValidateUsage = """
        loadkit validate PLAN

          Compiles the plan file (YAML or JSON) as `loadkit run` would, without sending a request, and prints every
          problem at once, one a line: FILE:LINE:COLUMN: PATH = VALUE: WHAT IS ALLOWED.

        Exit code: 0 the plan is valid; 2 it has problems, is missing, or the command line is wrong.
        """;

    public const string SchemaUsage = """
        loadkit schema

          Prints the JSON Schema of plan files (draft 07), e.g. loadkit schema > plan.schema.json, for an editor to
          complete and check plans: # yaml-language-server: $schema=plan.schema.json (YAML), "$schema" (JSON).
        """;

    public static async Task<int> ValidateAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var arguments = CommandArguments.Parse("loadkit validate", args, []);
        if (arguments.Help)
        {
            await output.WriteLineAsync(ValidateUsage);
            return ExitCode.Passed;
        }

        if (arguments.NotOneOperand("PLAN", "give the path of a plan file, e.g. loadkit validate checkout.yaml.", "one plan file at a time.") is { } operand)
        {
            arguments.Problems.Add(operand);
        }

        if (arguments.Problems.Count > 0)
        {
            return await Usage.FailAsync(error, "loadkit validate", arguments.Problems);
        }

        if (await PlanInput.LoadAsync(arguments.Operands[0], error, "loadkit validate") is not { } plan)
        {
            return ExitCode.BadInput;
        }

        await output.WriteLineAsync($"{plan.Source}: valid ({plan.Scenarios.Count} scenario{(plan.Scenarios.Count == 1 ? "" : "s")}: {string.Join(", ", plan.Scenarios.Select(s => s.Name))}).");
        return ExitCode.Passed;
    }

    public static async Task<int> SchemaAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var arguments = CommandArguments.Parse("loadkit schema", args, []);
        if (arguments.Help)
        {
            await output.WriteLineAsync(SchemaUsage);
            return ExitCode.Passed;
        }

        if (arguments.Operands.Count > 0)
        {
            arguments.Problems.Add($"{string.Join(" ", arguments.Operands.Select(o => $"'{o}'"))}: loadkit schema takes no argument (redirect its output to a file).");
        }

        if (arguments.Problems.Count > 0)
        {
            return await Usage.FailAsync(error, "loadkit schema", arguments.Problems);
        }

        await output.WriteAsync(PlanFile.JsonSchema);
        return ExitCode.Passed;
    }
}
