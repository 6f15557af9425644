using System.Globalization;

using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using LoadKit.HttpSteps;

namespace LoadKit;

/// <summary>
/// A condition on an HTTP response. When it does not hold the step fails, and its description is the error text, so
/// the error table reads like a to-do list ("status is 200 (got 503)", "body contains 'paid'").
/// </summary>
public sealed class HttpCheck
{
    private readonly Func<HttpResponseView, bool> _holds;

    private readonly IReadOnlySet<int>? _statusCodes;

    private HttpCheck(string description, Func<HttpResponseView, bool> holds, IReadOnlySet<int>? statusCodes = null, string? problem = null)
    {
        Description = description;
        _holds = holds;
        _statusCodes = statusCodes;
        NeedsBody = statusCodes is null;
        Problem = problem;
    }

    /// <summary>What the check expects, as the error table shows it.</summary>
    public string Description { get; }

    /// <summary>A status check replaces the default "status is 2xx".</summary>
    internal bool IsStatusCheck => _statusCodes is not null;

    internal bool NeedsBody { get; }

    /// <summary>Why the check cannot work (a malformed JSON path), reported when the scenario is built.</summary>
    internal string? Problem { get; }

    /// <summary>The status code is <paramref name="statusCode"/>.</summary>
    public static HttpCheck StatusIs(int statusCode) => StatusIsOneOf(statusCode);

    /// <summary>The status code is one of <paramref name="statusCodes"/>.</summary>
    public static HttpCheck StatusIsOneOf(params int[] statusCodes)
    {
        ArgumentNullException.ThrowIfNull(statusCodes);
        var codes = statusCodes.ToHashSet();
        var list = string.Join(" or ", statusCodes);
        var problem = statusCodes.Length == 0 ? "no status code given: name at least one"
            : statusCodes.FirstOrDefault(c => c is < 100 or > 599) is var bad and not 0 ? $"status code {bad} is not between 100 and 599" : null;
        return new HttpCheck($"status is {list}", r => codes.Contains(r.StatusCode), codes, problem);
    }

    /// <summary>The body is shorter than <paramref name="bytes"/> bytes.</summary>
    public static HttpCheck BodyLengthLessThan(long bytes) => new($"body length < {bytes} bytes", r => r.BodyLength < bytes);

    /// <summary>The body is exactly <paramref name="bytes"/> bytes long.</summary>
    public static HttpCheck BodyLengthIs(long bytes) => new($"body length = {bytes} bytes", r => r.BodyLength == bytes);

    /// <summary>The body is longer than <paramref name="bytes"/> bytes.</summary>
    public static HttpCheck BodyLengthGreaterThan(long bytes) => new($"body length > {bytes} bytes", r => r.BodyLength > bytes);

    /// <summary>The body (as UTF-8 text) contains <paramref name="text"/>, case-sensitively.</summary>
    public static HttpCheck BodyContains(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new HttpCheck($"body contains '{text}'", r => r.Text.Contains(text, StringComparison.Ordinal));
    }

    /// <summary>
    /// The body (as UTF-8 text) has a match of the regular expression <paramref name="pattern"/> (.NET syntax, culture
    /// invariant, at most 1 s per match). A malformed pattern is reported when the scenario is built.
    /// </summary>
    public static HttpCheck BodyMatches(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        try
        {
            var regex = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            return new HttpCheck($"body matches '{pattern}'", r => regex.IsMatch(r.Text));
        }
        catch (ArgumentException e)
        {
            return new HttpCheck($"body matches '{pattern}'", _ => false, problem: $"regex '{pattern}' is malformed: {e.Message}");
        }
    }

    /// <summary>
    /// The JSON body's value at <paramref name="jsonPath"/> (Newtonsoft <c>SelectToken</c> syntax, e.g. <c>$.order.state</c>)
    /// equals <paramref name="expected"/>: strings compare as text, other values by their JSON text (<c>42</c>, <c>true</c>).
    /// </summary>
    public static HttpCheck JsonValueIs(string jsonPath, string expected)
    {
        ArgumentNullException.ThrowIfNull(jsonPath);
        ArgumentNullException.ThrowIfNull(expected);
        return new HttpCheck(
            $"JSON {jsonPath} is '{expected}'",
            r => HttpExtract.JsonText(r.Json.SelectToken(jsonPath)) == expected,
            problem: JsonPathProblem(jsonPath));
    }

    /// <summary>Whether a status check holds for <paramref name="statusCode"/>.</summary>
    internal bool Holds(int statusCode) => _statusCodes!.Contains(statusCode);

    internal bool Holds(HttpResponseView response)
    {
        try
        {
            return _holds(response);
        }
        catch (JsonReaderException)
        {
            return false; // the body is not JSON: the check does not hold, and says what it expected
        }
    }

    internal static string? JsonPathProblem(string path)
    {
        try
        {
            new JObject().SelectToken(path);
            return null;
        }
        catch (JsonException e)
        {
            return $"JSON path '{path}' is malformed: {e.Message}";
        }
    }

    internal static string StatusFailure(HttpCheck? check, int statusCode) =>
        string.Create(CultureInfo.InvariantCulture, $"{check?.Description ?? "status is 2xx"} (got {statusCode})");
}
