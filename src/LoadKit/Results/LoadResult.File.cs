using System.Text;
using System.Text.Json;

namespace LoadKit;

public sealed partial record LoadResult
{
    /// <summary>UTF-8 without a byte-order mark: JSON readers such as Python's <c>json.load</c> refuse one (RFC 8259, section 8.1).</summary>
    private static readonly UTF8Encoding WithoutByteOrderMark = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>
    /// Writes the result as JSON to <paramref name="path"/>, e.g. to keep it as the baseline of later runs. The folder
    /// is created if needed; the file is replaced whole (written beside it, then moved), so a reader never sees half
    /// of it.
    /// </summary>
    /// <param name="path">The file to write.</param>
    public void WriteFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, ToJson(), WithoutByteOrderMark);
        File.Move(temporary, full, overwrite: true);
    }

    /// <summary>Reads a result that <see cref="WriteFile"/> (or <see cref="ToJson"/>) wrote.</summary>
    /// <param name="path">The file to read.</param>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a LoadKit result; the message names the file and what is wrong.</exception>
    public static LoadResult ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var text = File.ReadAllText(full);
        LoadResult result;
        try
        {
            result = FromJson(text);
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            throw NotAResult(full, e.Message, e);
        }

        // JSON that is an object but not a result (another tool's file, a truncated copy) reads as a result with holes.
        if (result.FormatVersion > 1)
        {
            throw NotAResult(full, $"it has format version {result.FormatVersion}, and this LoadKit reads version 1 (it was written by a newer LoadKit)", null);
        }

        if (result.Scenarios is null || result.Scenarios.Count == 0 || result.Scenarios.Any(s => s?.Name is null || s.Steps is null || s.Steps.Any(step => step?.Name is null || step.Latency is null)))
        {
            throw NotAResult(full, "it has no scenarios with named steps and their statistics", null);
        }

        return result;
    }

    private static InvalidDataException NotAResult(string path, string problem, Exception? inner) => new(
        $"The file '{path}' is not a LoadKit result: {problem.TrimEnd('.')}. A result file is the JSON that LoadResult.WriteFile or ToJson writes.",
        inner);
}
