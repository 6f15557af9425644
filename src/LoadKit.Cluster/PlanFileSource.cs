namespace LoadKit;

/// <summary>
/// A plan file and the files it reads (its feeds), which a distributed run sends to the workers in place of a test
/// assembly: each worker compiles the plan itself and runs the scenarios the run plan names, so no code is uploaded.
/// They travel as one artifact (the same upload, hash check, size caps and cache as a test assembly's folder), laid
/// out as on this machine below the folder they share, so the plan's relative paths hold on the worker. Set it as
/// <see cref="ClusterTarget.PlanSource"/> (the <c>loadkit</c> command does). Immutable.
/// </summary>
public sealed class PlanFileSource
{
    private readonly string _root;

    /// <summary>The plan at <paramref name="planPath"/>, reading <paramref name="feedFiles"/>.</summary>
    /// <param name="planPath">The plan file.</param>
    /// <param name="feedFiles">The files the plan reads, as it names them: relative to its folder (<c>PlanFile.FeedFiles</c>).</param>
    /// <exception cref="ArgumentException">The plan or a file is missing, or a file is named by an absolute path; the message lists every one.</exception>
    public PlanFileSource(string planPath, IReadOnlyList<string> feedFiles)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(planPath);
        ArgumentNullException.ThrowIfNull(feedFiles);
        var plan = new FileInfo(Path.GetFullPath(planPath));
        var folder = plan.DirectoryName!;
        var problems = new List<string>();
        if (!plan.Exists)
        {
            problems.Add($"plan file = '{planPath}': no such file (looked for {plan.FullName}).");
        }

        var files = new List<string>();
        foreach (var feed in feedFiles)
        {
            var full = Path.GetFullPath(feed, folder);
            if (Path.IsPathRooted(feed))
            {
                // On a worker it would name that worker's own file, not this one.
                problems.Add($"feed file = '{feed}': an absolute path; the workers get the plan's files with it, so name the file relative to the plan's folder ({folder}).");
            }
            else if (!File.Exists(full))
            {
                problems.Add($"feed file = '{feed}': no such file (looked for {full}).");
            }
            else
            {
                files.Add(full);
            }
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException($"The plan cannot be sent to the workers:{Environment.NewLine}  - {string.Join(Environment.NewLine + "  - ", problems)}", nameof(planPath));
        }

        PlanPath = plan.FullName;
        FeedFiles = [.. feedFiles];
        _root = files.Select(Path.GetDirectoryName).Aggregate(folder, (common, next) => CommonFolder(common, next!));
        Files = [.. files.Prepend(PlanPath).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The plan file's full path.</summary>
    public string PlanPath { get; }

    /// <summary>The files the plan reads, as it names them.</summary>
    public IReadOnlyList<string> FeedFiles { get; }

    /// <summary>The plan's path inside the artifact.</summary>
    internal string PlanEntry => EntryOf(PlanPath);

    /// <summary>Every file sent, by full path: the plan, then its feeds.</summary>
    internal IReadOnlyList<string> Files { get; }

    /// <summary>A file's path inside the artifact: relative to the folder every file is below, with '/'.</summary>
    internal string EntryOf(string file) => Path.GetRelativePath(_root, file).Replace('\\', '/');

    private static string CommonFolder(string first, string second)
    {
        var a = first.TrimEnd(Path.DirectorySeparatorChar).Split(Path.DirectorySeparatorChar);
        var b = second.TrimEnd(Path.DirectorySeparatorChar).Split(Path.DirectorySeparatorChar);
        var shared = a.Zip(b).TakeWhile(p => string.Equals(p.First, p.Second, StringComparison.Ordinal)).Count();
        var common = string.Join(Path.DirectorySeparatorChar, a.Take(shared));
        return common.Length == 0 ? Path.GetPathRoot(first)! : common;
    }
}
