using System.Text.RegularExpressions;

namespace LoadKit.Tests.Architecture;

/// <summary>
/// One project's source files as they are on disk (bin/ and obj/ left out): its folders, and which files declare a
/// type of a given name (for the types that have no method with a sequence point: interfaces, enums, delegates).
/// </summary>
internal sealed partial class SourceTree
{
    private readonly Dictionary<string, List<string>> _declarations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _protoFolders = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _files = new(StringComparer.Ordinal);
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal) { "" };

    public SourceTree(string projectDirectory, string projectPath)
    {
        ProjectDirectory = projectDirectory;
        ProjectPath = projectPath;
        foreach (var file in SourceFiles(projectDirectory))
        {
            var relative = Path.GetRelativePath(projectDirectory, file).Replace('\\', '/');
            var extension = Path.GetExtension(relative);

            _files.Add(relative);
            var directory = DirectoryOf(relative);
            for (var d = directory; d.Length > 0; d = DirectoryOf(d))
            {
                _directories.Add(d);
            }

            if (extension == ".proto")
            {
                _protoFolders[Path.GetFileNameWithoutExtension(relative)] = directory;
                continue;
            }

            foreach (Match match in Declaration().Matches(File.ReadAllText(file)))
            {
                var name = match.Groups["name"].Value;
                if (!_declarations.TryGetValue(name, out var files))
                {
                    _declarations[name] = files = [];
                }

                if (!files.Contains(relative))
                {
                    files.Add(relative);
                }
            }
        }

        Folders = _directories.Where(d => d.Length > 0 && !d.Contains('/')).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The project's folder on this machine.</summary>
    public string ProjectDirectory { get; }

    /// <summary>The project's folder from the repository's root, e.g. src/LoadKit.</summary>
    public string ProjectPath { get; }

    /// <summary>The top-level folders that hold source: the project's capabilities.</summary>
    public IReadOnlyList<string> Folders { get; }

    private static IEnumerable<string> SourceFiles(string projectDirectory)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = false };
        var folders = new Stack<string>([projectDirectory]);
        while (folders.TryPop(out var folder))
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*", options))
            {
                if (file.EndsWith(".cs", StringComparison.Ordinal) || file.EndsWith(".proto", StringComparison.Ordinal))
                {
                    yield return file;
                }
            }

            foreach (var child in Directory.EnumerateDirectories(folder, "*", options))
            {
                if (folder != projectDirectory || Path.GetFileName(child) is not ("bin" or "obj"))
                {
                    folders.Push(child);
                }
            }
        }
    }

    public static string DirectoryOf(string relativePath)
    {
        var slash = relativePath.LastIndexOf('/');
        return slash < 0 ? "" : relativePath[..slash];
    }

    /// <summary>The top-level folder of a directory of the project ("(root)" for the project's own folder).</summary>
    public static string FolderOf(string directory) =>
        directory.Length == 0 ? "(root)" : directory.Split('/')[0];

    /// <summary>Whether a source directory of that name exists ("" is the project's folder).</summary>
    public bool HasDirectory(string directory) => _directories.Contains(directory);

    /// <summary>
    /// Where a document of the PDB is, relative to the project, and whether it is generated. A compiler's path is
    /// either this machine's or, in a CI build, mapped to /_/...: both are found through the project's path.
    /// </summary>
    public SourceDocument? Locate(string url)
    {
        var path = url.Replace('\\', '/');
        var projectDirectory = ProjectDirectory.Replace('\\', '/').TrimEnd('/') + "/";
        string relative;
        if (path.StartsWith(projectDirectory, StringComparison.Ordinal))
        {
            relative = path[projectDirectory.Length..];
        }
        else
        {
            var anchor = "/" + ProjectPath + "/";
            var at = path.IndexOf(anchor, StringComparison.Ordinal);
            if (at < 0)
            {
                return null;
            }

            relative = path[(at + anchor.Length)..];
        }

        if (_files.Contains(relative) && !relative.EndsWith(".g.cs", StringComparison.Ordinal))
        {
            return new SourceDocument(relative, DirectoryOf(relative), Generated: false);
        }

        // Generated: obj/<configuration>/<framework>/<folder of its source>/<file> (protobuf, gRPC), or a source
        // generator's document. It counts as the folder of its source when that is known.
        var parts = relative.Split('/');
        if (parts.Length > 3 && parts[0] == "obj")
        {
            var directory = string.Join('/', parts[3..^1]);
            if (directory.Length > 0 && HasDirectory(directory))
            {
                return new SourceDocument(relative, directory, Generated: true);
            }
        }

        var name = Path.GetFileNameWithoutExtension(relative);
        foreach (var candidate in new[] { name, name.EndsWith("Grpc", StringComparison.Ordinal) ? name[..^4] : name })
        {
            if (_protoFolders.TryGetValue(candidate, out var protoDirectory))
            {
                return new SourceDocument(relative, protoDirectory, Generated: true);
            }
        }

        return new SourceDocument(relative, Directory: null, Generated: true);
    }

    /// <summary>The one file that declares a type of that name (no arity), or null when none or several do.</summary>
    public string? UniqueDeclaration(string name) =>
        _declarations.TryGetValue(name, out var files) && files.Count == 1 ? files[0] : null;

    [GeneratedRegex(@"\b(?:(?:class|struct|interface|enum|record)\s+(?:(?:class|struct)\s+)?@?(?<name>[A-Za-z_]\w*)|delegate\s+[^;(){}=]*?\b(?<name>[A-Za-z_]\w*)\s*(?:<[^>]*>)?\s*\()")]
    private static partial Regex Declaration();
}

/// <summary>A PDB document: its path relative to the project, the source directory it counts as (null when unknown).</summary>
internal sealed record SourceDocument(string Path, string? Directory, bool Generated);
