using System.Collections.Concurrent;
using System.Text;

namespace LoadKit.Testing;

/// <summary>
/// Where a test run reads its baseline and where it saves each run's result as the next one: file paths from an
/// environment variable, else from the NUnit run parameter of the same name. A path may hold
/// <see cref="LoadTest.TestNamePlaceholder"/>, so each test of a project keeps its own file.
/// </summary>
internal sealed record BaselineSettings(string? Path, string? PathSource, string? SavePath, string? SaveSource)
{
    public static BaselineSettings Bind(Func<string, string?> environment, Func<string, string?> parameter)
    {
        var (path, pathSource) = Setting(LoadTest.BaselineVariable, environment, parameter);
        var (savePath, saveSource) = Setting(LoadTest.BaselineSaveVariable, environment, parameter);
        return new BaselineSettings(path, pathSource, savePath, saveSource);
    }

    /// <summary>
    /// The baseline of the test named <paramref name="testName"/>, read once per file and test process: reading it
    /// before this run's result replaces the same file keeps the comparison with the previous run.
    /// </summary>
    public Baseline Read(string testName, ConcurrentDictionary<string, Lazy<Baseline>> cache)
    {
        if (Path is null)
        {
            return Baseline.None("no baseline",
                $"no baseline file is configured (the environment variable {LoadTest.BaselineVariable} or the NUnit run parameter {LoadTest.ParameterFor(LoadTest.BaselineVariable)})");
        }

        var full = System.IO.Path.GetFullPath(Expand(Path, testName));
        return cache.GetOrAdd(full, f => new Lazy<Baseline>(() => ReadFile(f))).Value;
    }

    /// <summary>Writes <paramref name="result"/> where <see cref="SavePath"/> says, and says so on <paramref name="output"/>; nothing when unset.</summary>
    public void SaveIfAsked(LoadResult result, string testName, ConcurrentDictionary<string, Lazy<Baseline>> cache, TextWriter output)
    {
        if (SavePath is null)
        {
            return;
        }

        var full = System.IO.Path.GetFullPath(Expand(SavePath, testName));
        if (result.Cancelled)
        {
            output.WriteLine($"LoadKit: this run was cancelled, so its partial result was not saved as the baseline '{full}' ({SaveSource}).");
            return;
        }

        if (Path is not null && System.IO.Path.GetFullPath(Expand(Path, testName)) == full)
        {
            // The same file is read and replaced: read it first, so this test's gates compare with the previous run.
            // A corrupt file is an error the gates report (the Lazy keeps it), not a reason to keep it.
            try
            {
                _ = Read(testName, cache);
            }
            catch (InvalidDataException)
            {
            }
        }

        result.WriteFile(full);
        output.WriteLine($"LoadKit: saved this run's result as the baseline '{full}' ({SaveSource}).");
    }

    /// <summary>The path with <see cref="LoadTest.TestNamePlaceholder"/> replaced by the test's name, made safe for a file name.</summary>
    public static string Expand(string path, string testName)
    {
        if (!path.Contains(LoadTest.TestNamePlaceholder, StringComparison.Ordinal))
        {
            return path;
        }

        var name = new StringBuilder(testName.Length);
        foreach (var c in testName)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_');
        }

        return path.Replace(LoadTest.TestNamePlaceholder, name.ToString(), StringComparison.Ordinal);
    }

    private Baseline ReadFile(string full)
    {
        try
        {
            return Baseline.FromFile(full);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{e.Message} The baseline was named by {PathSource}.", e);
        }
    }

    private static (string? Value, string? Source) Setting(string variable, Func<string, string?> environment, Func<string, string?> parameter) =>
        environment(variable) is { Length: > 0 } fromEnvironment
            ? (fromEnvironment, $"environment variable {variable}")
            : parameter(LoadTest.ParameterFor(variable)) is { Length: > 0 } fromParameter
                ? (fromParameter, $"NUnit run parameter {LoadTest.ParameterFor(variable)}")
                : (null, null);
}
