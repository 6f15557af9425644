using System.Text;
using System.Xml.XPath;
using AngleSharp.Html.Parser;
using Newtonsoft.Json.Linq;

namespace LoadKit.HttpSteps;

/// <summary>
/// A received response as checks and extractions see it, from either engine: the body is read once and parsed at
/// most once per kind; <paramref name="header"/> gives a header by name (several values joined with ", ") or null.
/// </summary>
internal sealed class HttpResponseView(int statusCode, Func<string, string?> header, ReadOnlyMemory<byte> body)
{
    private string? _text;
    private JToken? _json;
    private AngleSharp.Html.Dom.IHtmlDocument? _html;
    private XPathNavigator? _xpath;

    public int StatusCode => statusCode;

    public int BodyLength => body.Length;

    public string Text => _text ??= Encoding.UTF8.GetString(body.Span);

    public JToken Json => _json ??= JToken.Parse(Text);

    /// <summary>The body as HTML (lenient, as a browser parses it), for CSS selectors and, through <see cref="XPath"/>, XPath.</summary>
    public AngleSharp.Html.Dom.IHtmlDocument Html => _html ??= new HtmlParser().ParseDocument(Text);

    /// <summary>A navigator on the root of <see cref="Html"/> (its nodes numbered once); clone it to evaluate.</summary>
    public XPathNavigator XPath => _xpath ??= new HtmlXPathNavigator(Html);

    public string? Header(string name) => header(name);
}
