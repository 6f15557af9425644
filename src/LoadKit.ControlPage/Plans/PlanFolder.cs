using System.Text.RegularExpressions;

namespace LoadKit.ControlPage.Plans;

/// <summary>
/// The folder the editor's plans live in. A plan's name is a file name in it and nothing else: letters, digits, dots,
/// dashes and underscores, ending in .yaml, .yml or .json, so no name reaches outside the folder.
/// </summary>
internal sealed partial class PlanFolder
{
    /// <summary>The rule a plan name follows, as the refusal states it.</summary>
    public const string NameRule = "a plan name is a file name of letters, digits, '.', '-' and '_' (at most 100, not starting with '.'), ending in .yaml, .yml or .json, e.g. checkout.yaml";

    public PlanFolder(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(Path);
    }

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>What is wrong with a plan name; null when it follows <see cref="NameRule"/>.</summary>
    public static string? NameProblem(string? name) =>
        name is null || name.Length > 100 || !NamePattern().IsMatch(name) || name.StartsWith('.')
            ? $"'{name}' is not a plan name: {NameRule}"
            : null;

    /// <summary>The plans in the folder, by name.</summary>
    public IEnumerable<FileInfo> List() =>
        new DirectoryInfo(Path).EnumerateFiles().Where(f => NameProblem(f.Name) is null).OrderBy(f => f.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The file of a plan name that <see cref="NameProblem"/> accepted.</summary>
    public string FileOf(string name)
    {
        if (NameProblem(name) is { } problem)
        {
            throw new ArgumentException(problem, nameof(name));
        }

        // The name rule already keeps the file in the folder; this says so once more where the path is made.
        var file = System.IO.Path.GetFullPath(System.IO.Path.Combine(Path, name));
        return System.IO.Path.GetDirectoryName(file) == Path.TrimEnd(System.IO.Path.DirectorySeparatorChar)
            ? file
            : throw new ArgumentException($"'{name}' is not a plan name: {NameRule}", nameof(name));
    }

    /// <summary>Writes a plan through a temporary file, so a reader never sees half of it.</summary>
    public void Write(string name, string text)
    {
        var file = FileOf(name);
        var temporary = System.IO.Path.Combine(Path, $".{name}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(temporary, text);
        File.Move(temporary, file, overwrite: true);
    }

    [GeneratedRegex(@"^[A-Za-z0-9._-]+\.(yaml|yml|json)\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
