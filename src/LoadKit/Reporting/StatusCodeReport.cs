using System.Globalization;
using LoadKit.Display;

namespace LoadKit.Reporting;

/// <summary>
/// The status codes of a step's HTTP responses and gRPC calls, as every report shows them: HTTP codes by number
/// (<c>200 × 1,234</c>), gRPC codes by the specification's name (<c>UNAVAILABLE × 3</c>). One place, so the summary,
/// Markdown, HTML and CSV say the same.
/// </summary>
internal static class StatusCodeReport
{
    public const string Http = "http";

    public const string Grpc = "grpc";

    /// <summary>One status code of one protocol with its count.</summary>
    public readonly record struct Counted(string Protocol, int Code, string Name, long Count);

    /// <summary>The step's codes: HTTP first, then gRPC, each lowest code first.</summary>
    public static IEnumerable<Counted> Of(StepStats step) =>
        Of(Http, step.Http?.StatusCodes, static code => code.ToString(CultureInfo.InvariantCulture))
            .Concat(Of(Grpc, step.Grpc?.StatusCodes, GrpcStats.StatusName));

    /// <summary>The protocols the step has statistics of (an empty list of codes included: requests with no response).</summary>
    public static IEnumerable<string> Protocols(StepStats step)
    {
        if (step.Http is not null)
        {
            yield return Http;
        }

        if (step.Grpc is not null)
        {
            yield return Grpc;
        }
    }

    /// <summary>"200 × 1,234, 404 × 3" for one protocol of the step; <paramref name="none"/> when it has no codes.</summary>
    public static string Text(StepStats step, string protocol, string none)
    {
        var codes = Of(step).Where(c => c.Protocol == protocol).Select(c => $"{c.Name} × {Format.Count(c.Count)}").ToArray();
        return codes.Length == 0 ? none : string.Join(", ", codes);
    }

    /// <summary>The header and a row per step and protocol (step, protocol, codes), or null when no step has any.</summary>
    public static List<string[]>? Rows(ScenarioResult scenario)
    {
        var rows = new List<string[]> { new[] { "step", "protocol", "status codes" } };
        rows.AddRange(scenario.Steps.SelectMany(step => Protocols(step).Select(protocol => new[] { step.Name, protocol, Text(step, protocol, "none ended") })));
        return rows.Count > 1 ? rows : null;
    }

    /// <summary>The CSV columns of a result: one per protocol and code any step saw (<c>http_200</c>, <c>grpc_UNAVAILABLE</c>).</summary>
    public static (string Protocol, int Code, string Column)[] Columns(IEnumerable<StepStats> steps) =>
        [.. steps.SelectMany(Of)
            .Select(c => (c.Protocol, c.Code, Column: $"{c.Protocol}_{c.Name}"))
            .Distinct()
            .OrderBy(c => c.Protocol == Http ? 0 : 1)
            .ThenBy(c => c.Code)];

    /// <summary>A step's count of one column's code: empty for a step without that protocol (a missing value, not 0).</summary>
    public static string Cell(StepStats step, string protocol, int code) =>
        !Protocols(step).Contains(protocol) ? ""
            : Of(step).FirstOrDefault(c => c.Protocol == protocol && c.Code == code).Count.ToString(CultureInfo.InvariantCulture);

    private static IEnumerable<Counted> Of(string protocol, IReadOnlyList<StatusCodeCount>? codes, Func<int, string> name) =>
        (codes ?? []).Select(c => new Counted(protocol, c.Code, name(c.Code), c.Count));
}
