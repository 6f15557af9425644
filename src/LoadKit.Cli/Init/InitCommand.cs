using System.Reflection;
using System.Text.RegularExpressions;
using LoadKit.Cli.CommandLine;

namespace LoadKit.Cli.Init;

/// <summary><c>loadkit init [plan|tests] [DIR]</c>: a plan to start from, or an NUnit load-test project around one.</summary>
internal static partial class InitCommand
{
    public const string HelpText = """
        loadkit init [plan|tests] [DIR] [--name NAME] [--force]

          plan (default)   writes DIR/plan.yaml, a plan to start from (a scenario of two requests, think time, a load,
                           a smoke load, thresholds), and DIR/plan.schema.json for an editor to complete and check it
          tests            writes an NUnit load-test project into DIR: NAME.csproj (LoadKit.Testing, LoadKit.PlanFiles),
                           LoadTests.cs (the scenario in C#, and the plan's, each gated), plan.yaml, plan.schema.json;
                           then: dotnet test DIR

          DIR              the folder to write into (default: the current folder; created if missing)
          --name NAME      the project's name and namespace (default: the folder's name, or LoadTests)
          --force          replace files that exist (default: nothing is written if one does)

        Exit code: 0 the files were written; 2 bad input (a file exists, a name that is not allowed, the command line).
        """;

    private static readonly IReadOnlyList<OptionSpec> Options = [new("--name", "a project name, e.g. Shop.LoadTests"), new("--force", null)];

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var arguments = CommandArguments.Parse("loadkit init", args, Options);
        if (arguments.Help)
        {
            await output.WriteLineAsync(HelpText);
            return ExitCode.Passed;
        }

        var operands = arguments.Operands.ToList();
        var kind = operands.Count > 0 && operands[0] is "plan" or "tests" ? operands[0] : "plan";
        if (operands.Count > 0 && operands[0] == kind)
        {
            operands.RemoveAt(0);
        }

        if (operands.Count > 1)
        {
            arguments.Problems.Add($"{string.Join(" ", arguments.Operands.Select(o => $"'{o}'"))}: allowed: [plan|tests] [DIR], e.g. loadkit init tests load-tests.");
        }

        var folder = Path.GetFullPath(operands.Count == 1 ? operands[0] : ".");
        var name = arguments.Value("--name") ?? ProjectNameOf(folder);
        if (kind == "plan" && arguments.Has("--name"))
        {
            arguments.Problems.Add($"--name = '{name}': only for 'loadkit init tests' (a plan is always plan.yaml).");
        }
        else if (kind == "tests" && !ProjectName().IsMatch(name))
        {
            arguments.Problems.Add($"--name = '{name}': a project name of letters, digits and '_', in parts joined by '.', not starting with a digit (e.g. Shop.LoadTests).");
        }

        if (arguments.Problems.Count > 0)
        {
            return await Usage.FailAsync(error, "loadkit init", arguments.Problems);
        }

        var files = new List<(string Name, string Text)> { ("plan.yaml", StarterFiles.Plan), ("plan.schema.json", PlanFile.JsonSchema) };
        if (kind == "tests")
        {
            files.Add(($"{name}.csproj", StarterFiles.Project.Replace(StarterFiles.VersionToken, ToolVersion(), StringComparison.Ordinal)));
            files.Add(("LoadTests.cs", StarterFiles.Tests.Replace(StarterFiles.ProjectName, name, StringComparison.Ordinal)));
        }

        var existing = files.Select(f => Path.Combine(folder, f.Name)).Where(File.Exists).ToList();
        if (existing.Count > 0 && !arguments.Has("--force"))
        {
            await error.WriteLineAsync($"loadkit init: DIR = '{folder}': {string.Join(", ", existing.Select(Path.GetFileName))} exist{(existing.Count == 1 ? "s" : "")}; nothing was written. Choose another folder, or --force to replace {(existing.Count == 1 ? "it" : "them")}.");
            return ExitCode.BadInput;
        }

        try
        {
            Directory.CreateDirectory(folder);
            foreach (var (file, text) in files)
            {
                await File.WriteAllTextAsync(Path.Combine(folder, file), text);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"loadkit init: DIR = '{folder}': cannot be written: {exception.Message}");
            return ExitCode.BadInput;
        }

        await output.WriteLineAsync($"Wrote {string.Join(", ", files.Select(f => f.Name))} in {folder}.");
        await output.WriteLineAsync(kind == "tests"
            ? $"Next: point plan.yaml's baseAddress (and LoadTests.cs's default) at your service, then: dotnet test {Path.GetRelativePath(Environment.CurrentDirectory, folder)}"
            : $"Next: point its baseAddress at your service, then: loadkit run {Path.GetRelativePath(Environment.CurrentDirectory, Path.Combine(folder, "plan.yaml"))} --profile smoke");
        return ExitCode.Passed;
    }

    /// <summary>The folder's name as a project name (<c>shop-load</c> → <c>ShopLoad</c>), or <c>LoadTests</c>.</summary>
    private static string ProjectNameOf(string folder)
    {
        var parts = Path.GetFileName(folder.TrimEnd(Path.DirectorySeparatorChar)).Split(['-', ' ', '_'], StringSplitOptions.RemoveEmptyEntries);
        var name = string.Concat(parts.Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
        return ProjectName().IsMatch(name) ? name : "LoadTests";
    }

    /// <summary>The LoadKit version the project references: this tool's, which shipped with the libraries of the same version.</summary>
    private static string ToolVersion() =>
        typeof(InitCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.1.0";

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")]
    private static partial Regex ProjectName();
}
