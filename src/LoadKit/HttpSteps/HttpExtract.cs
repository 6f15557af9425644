using System.Text.RegularExpressions;
using System.Xml.XPath;
using AngleSharp.Html.Parser;

using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using LoadKit.HttpSteps;

namespace LoadKit;

/// <summary>
/// Where in an HTTP response a value is found, to store in the VU's session (<see cref="HttpCall.Extract"/>) and use
/// in later requests as <c>{{name}}</c>. A value that is not found fails the step, saying what was looked for.
/// </summary>
public sealed class HttpExtract
{
    private readonly Func<HttpResponseView, string?> _find;

    private HttpExtract(string description, Func<HttpResponseView, string?> find, bool needsBody = true, string? problem = null, string? headerName = null)
    {
        Description = description;
        HeaderName = headerName;
        _find = find;
        NeedsBody = needsBody;
        Problem = problem;
    }

    /// <summary>What is looked for, e.g. <c>JSON path $.token</c>.</summary>
    public string Description { get; }

    internal bool NeedsBody { get; }

    /// <summary>The response header this extraction reads, or null (LoadKit's engine keeps only the headers read).</summary>
    internal string? HeaderName { get; }

    internal string? Problem { get; }

    /// <summary>A value of the JSON body (Newtonsoft <c>SelectToken</c> syntax, e.g. <c>$.items[0].id</c>).</summary>
    public static HttpExtract JsonPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return new HttpExtract($"JSON path {path}", r => JsonText(r.Json.SelectToken(path)), problem: HttpCheck.JsonPathProblem(path));
    }

    /// <summary>A group of the first match of <paramref name="pattern"/> in the body text (group 1 by default; 0 is the whole match).</summary>
    public static HttpExtract Regex(string pattern, int group = 1)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        System.Text.RegularExpressions.Regex regex;
        try
        {
            regex = new System.Text.RegularExpressions.Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            return new HttpExtract($"regex {pattern}", _ => null, problem: $"regex '{pattern}' is malformed: {e.Message}");
        }

        var problem = regex.GetGroupNumbers().Contains(group) ? null : $"regex '{pattern}' has no group {group} (it has groups 0 to {regex.GetGroupNumbers().Max()})";
        return new HttpExtract($"regex {pattern}", r => regex.Match(r.Text) is { Success: true } m && m.Groups[group].Success ? m.Groups[group].Value : null, problem: problem);
    }

    /// <summary>
    /// The first result of an XPath 1.0 expression over the body as HTML (lenient parsing), e.g. <c>//input[@name='csrf']/@value</c>
    /// or <c>string(//title)</c>: a node gives its text or attribute value. Element and attribute names are in no namespace,
    /// so a prefixed name (<c>@xlink:href</c>) is a problem reported when the scenario is built: <c>@*[name()='xlink:href']</c>
    /// matches it.
    /// </summary>
    public static HttpExtract XPath(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        XPathExpression compiled;
        try
        {
            compiled = XPathExpression.Compile(expression);
        }
        catch (XPathException e)
        {
            return new HttpExtract($"XPath {expression}", _ => null, problem: $"XPath '{expression}' is malformed: {e.Message}");
        }

        try
        {
            // A prefix (svg:rect), a variable or a function outside XPath 1.0 (lower-case()) compiles, and fails on evaluation.
            new HtmlXPathNavigator(new HtmlParser().ParseDocument("")).Evaluate(compiled.Clone());
        }
        catch (XPathException e)
        {
            return new HttpExtract($"XPath {expression}", _ => null, problem:
                $"XPath '{expression}' cannot be evaluated: namespace prefixes, variables and functions beyond XPath 1.0's own are not supported ({e.Message})");
        }

        return new HttpExtract($"XPath {expression}", r =>
        {
            var result = r.XPath.Clone().Evaluate(compiled.Clone());
            return result switch
            {
                XPathNodeIterator nodes => nodes.MoveNext() ? nodes.Current?.Value : null,
                string text => text.Length > 0 ? text : null,
                _ => Convert.ToString(result, System.Globalization.CultureInfo.InvariantCulture),
            };
        });
    }

    /// <summary>The first element matching a CSS selector in the body as HTML: its <paramref name="attribute"/>, or its text when none is named.</summary>
    public static HttpExtract Css(string selector, string? attribute = null)
    {
        ArgumentNullException.ThrowIfNull(selector);
        string? problem = null;
        try
        {
            new HtmlParser().ParseDocument("").QuerySelector(selector);
        }
        catch (Exception e) when (e is AngleSharp.Dom.DomException or ArgumentException)
        {
            problem = $"CSS selector '{selector}' is malformed: {e.Message}";
        }

        var description = attribute is null ? $"CSS {selector}" : $"CSS {selector} @{attribute}";
        return new HttpExtract(description, r => r.Html.QuerySelector(selector) is { } element ? attribute is null ? element.TextContent : element.GetAttribute(attribute) : null, problem: problem);
    }

    /// <summary>A response header (several values are joined with ", ").</summary>
    public static HttpExtract Header(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new HttpExtract($"header {name}", r => r.Header(name), needsBody: false, headerName: name);
    }

    /// <summary>A fixed value, whatever the response (handy to mark progress in the session).</summary>
    public static HttpExtract Value(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new HttpExtract($"value '{value}'", _ => value, needsBody: false);
    }

    /// <summary>The value found, or null.</summary>
    internal string? Find(HttpResponseView response)
    {
        try
        {
            return _find(response);
        }
        catch (JsonReaderException)
        {
            return null; // not JSON: nothing found, and the failure says what was looked for
        }
    }

    /// <summary>A JSON value as text: a string as itself, anything else as its JSON; null when absent.</summary>
    internal static string? JsonText(JToken? token) => token switch
    {
        null => null,
        JValue { Type: JTokenType.String } value => (string?)value,
        JValue { Type: JTokenType.Null } => null,
        _ => token.ToString(Formatting.None),
    };
}
