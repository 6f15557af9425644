using System.Net.Http.Headers;
using System.Text;
using AngleSharp.Html.Parser;
using HtmlAgilityPack;
using Newtonsoft.Json.Linq;

namespace LoadKit;

/// <summary>A received response as checks and extractions see it: the body is read once and parsed at most once per kind.</summary>
internal sealed class HttpResponseView(int statusCode, HttpResponseHeaders headers, HttpContentHeaders? contentHeaders, ReadOnlyMemory<byte> body)
{
    private string? _text;
    private JToken? _json;
    private HtmlDocument? _xpathDocument;
    private AngleSharp.Html.Dom.IHtmlDocument? _cssDocument;

    public int StatusCode => statusCode;

    public int BodyLength => body.Length;

    public string Text => _text ??= Encoding.UTF8.GetString(body.Span);

    public JToken Json => _json ??= JToken.Parse(Text);

    public HtmlDocument XPathDocument
    {
        get
        {
            if (_xpathDocument is null)
            {
                _xpathDocument = new HtmlDocument();
                _xpathDocument.LoadHtml(Text);
            }

            return _xpathDocument;
        }
    }

    public AngleSharp.Html.Dom.IHtmlDocument CssDocument => _cssDocument ??= new HtmlParser().ParseDocument(Text);

    public string? Header(string name) =>
        headers.TryGetValues(name, out var values) || (contentHeaders?.TryGetValues(name, out values) ?? false)
            ? string.Join(", ", values!)
            : null;
}
