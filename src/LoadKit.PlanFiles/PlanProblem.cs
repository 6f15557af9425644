namespace LoadKit;

/// <summary>
/// One thing wrong with a plan file: where it is (file, line and column; the path in the document), the value found
/// and what is allowed. Reads as a compiler message: <c>checkout.yaml:12:15: scenarios[0].steps[1].request.method = 'GTE': one of GET, POST, ...</c>.
/// </summary>
/// <param name="Source">The plan's file path, or the name given to <see cref="PlanFile.Parse"/>.</param>
/// <param name="Line">The line, from 1; 0 when the source gives none.</param>
/// <param name="Column">The column, from 1; 0 when the source gives none.</param>
/// <param name="Path">Where in the document, e.g. <c>scenarios[0].tasks[1].steps[0].request.method</c>.</param>
/// <param name="Value">The value found, quoted (<c>'GTE'</c>), or what was found instead (<c>missing</c>, <c>a list</c>).</param>
/// <param name="Allowed">What is allowed there.</param>
public sealed record PlanProblem(string Source, int Line, int Column, string Path, string Value, string Allowed)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{Source}{(Line > 0 ? $":{Line}:{Column}" : "")}: {(Path.Length == 0 ? "(document)" : Path)} = {Value}: {Allowed}";
}
