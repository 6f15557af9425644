using System.Text.Json;
using LoadKit.PlanFiles.Import;

namespace LoadKit;

/// <summary>
/// Makes a plan from what a tester already has: a HAR 1.2 recording (browser dev tools, Playwright's
/// <c>RecordHarPath</c>) or a Postman collection v2.1. The plan replays the requests once with one user; what the input
/// holds that a plan cannot express is listed (<see cref="ImportedPlan.NotImported"/>), never dropped silently.
/// </summary>
public static class PlanImport
{
    /// <summary>Reads and imports the file at <paramref name="path"/>; its content says whether it is a HAR file or a Postman collection.</summary>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is neither, or not readable as one; the message names the file, the setting and what is allowed.</exception>
    public static ImportedPlan Read(string path, PlanImportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"No file to import at '{full}'.", full);
        }

        return Parse(File.ReadAllText(full), Path.GetFileName(full), options);
    }

    /// <summary>Imports a HAR file or a Postman collection held in memory.</summary>
    /// <param name="text">The JSON text.</param>
    /// <param name="sourceName">The name used in messages and in the plan's comments, e.g. the file name.</param>
    /// <param name="options">What to keep; the defaults when null.</param>
    /// <exception cref="InvalidDataException">The text is neither, or not readable as one; the message names the source, the setting and what is allowed.</exception>
    public static ImportedPlan Parse(string text, string sourceName, PlanImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceName);
        options ??= new PlanImportOptions();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"{sourceName}: not JSON (line {exception.LineNumber + 1}, byte {exception.BytePositionInLine + 1}): a HAR 1.2 file or a Postman collection v2.1 is JSON.", exception);
        }

        using (document)
        {
            var root = document.RootElement;
            if (options.PostmanEnvironment is not null && HarReader.Is(root))
            {
                throw new InvalidDataException($"{sourceName}: a HAR file; a Postman environment ({options.PostmanEnvironment}) goes with a Postman collection only.");
            }

            var draft = HarReader.Is(root) ? HarReader.Read(root, sourceName, options)
                : PostmanReader.Is(root) ? PostmanReader.Read(root, sourceName, options)
                : throw new InvalidDataException($"{sourceName}: neither a HAR file (an object with log.entries) nor a Postman collection (an object with info and item); " +
                    $"allowed: a HAR 1.2 file saved by a browser's dev tools, or a collection exported as v2.1 ({PostmanReader.Schema21}).");
            if (draft.Requests.Count == 0)
            {
                throw new InvalidDataException($"{sourceName}: no request to import ({draft.Format})" +
                    (draft.Skipped.Count + draft.NotImported.Count > 0 ? ": " + string.Join("; ", draft.Skipped.Concat(draft.NotImported)) : "") + ".");
            }

            return new ImportedPlan(draft);
        }
    }
}
