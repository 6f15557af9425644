using System.Text;
using System.Xml.XPath;
using LoadKit.HttpSteps;

namespace LoadKit.Tests.HttpSteps;

/// <summary>
/// XPath over HTML on .NET's XPath engine and AngleSharp's DOM (HtmlXPathNavigator): the expressions that worked with
/// HtmlAgilityPack give the same values, a malformed page is read as a browser reads it, and a bad expression is a
/// problem naming it when the scenario is built.
/// </summary>
public class HtmlXPathTests
{
    private const string Page = """
        <!DOCTYPE html>
        <html><head><title>Orders &amp; more</title><meta name="csrf" content="tok-1"></head><body>
        <!-- build 42 -->
        <div id="main" class="c1 c2">
          <h1>  Hello   <b>World</b>  </h1>
          <ul><li>one</li><li class="x">two</li><li>three</li></ul>
          <a href="/orders?page=0" class="prev">prev</a><a href="/orders?page=2&amp;size=10" class="next">next</a>
          <form action="/submit"><input type="hidden" name="csrf" value="c5rf-7f3a"><input name="q" value=""></form>
          <table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>
        </div>
        <svg viewBox="0 0 10 10"><path d="M0"/><use xlink:href="#dot"/></svg>
        </body></html>
        """;

    [TestCase("string(//h1/b)", "World")]
    [TestCase("//h1/b/text()", "World")]
    [TestCase("//input[@name='csrf']/@value", "c5rf-7f3a")]
    [TestCase("//meta[@name='csrf']/@content", "tok-1")]
    [TestCase("//div[@id='main']/@class", "c1 c2")]
    [TestCase("//li[1]", "one")]
    [TestCase("//li[2]", "two")]
    [TestCase("(//li)[last()]", "three")]
    [TestCase("//li[@class='x']", "two")]
    [TestCase("//ul/li[position()>1]", "two")]
    [TestCase("//a[.='prev']/@href", "/orders?page=0")]
    [TestCase("//a[text()='next']/@class", "next")]
    [TestCase("count(//li)", "3")]
    [TestCase("count(//a | //li)", "5")]
    [TestCase("count(//input[@value=''])", "1")]
    [TestCase("normalize-space(//h1)", "Hello World")]
    [TestCase("//h1", "  Hello   World  ")]
    [TestCase("/html/body/div/h1/b", "World")]
    [TestCase("//div/ul/li[3]", "three")]
    [TestCase("//table//tr[2]/td[1]", "c")]
    [TestCase("//td[last()]", "b")]
    [TestCase("//b/ancestor::div/@id", "main")]
    [TestCase("//li[preceding-sibling::li[@class='x']]", "three")]
    [TestCase("//li[following-sibling::li][2]", "two")]
    [TestCase("name(//*[@id='main'])", "div")]
    [TestCase("id('main')/ul/li[1]", "one")]
    [TestCase("//*[contains(concat(' ',normalize-space(@class),' '),' c2 ')]/@id", "main")]
    [TestCase("boolean(//form)", "True")]
    [TestCase("//svg/path/@d", "M0")]
    public void XPath_ExpressionsThatWorkedWithHtmlAgilityPack_FindTheValue(string expression, string expected)
    {
        var extract = HttpExtract.XPath(expression);

        Assert.That(extract.Problem, Is.Null);
        Assert.That(extract.Find(View(Page)), Is.EqualTo(expected));
    }

    // HtmlAgilityPack gave character references undecoded ("Orders &amp; more", "/orders?page=2&amp;size=10", a URL
    // that then went out wrong), a comment with its delimiters (and the doctype as a comment), and SVG names lower-cased.
    [TestCase("//title", "Orders & more")]
    [TestCase("string(//title)", "Orders & more")]
    [TestCase("//title/text()", "Orders & more")]
    [TestCase("string-length(//title)", "13")]
    [TestCase("//a[contains(@href,'page=2')]/@href", "/orders?page=2&size=10")]
    [TestCase("substring-after(//a[2]/@href,'page=')", "2&size=10")]
    [TestCase("//comment()", " build 42 ")]
    [TestCase("//svg/@viewBox", "0 0 10 10")]
    [TestCase("//use/@*[name()='xlink:href']", "#dot")]
    public void XPath_WhereHtmlAgilityPackDiffered_GivesTheDomsValue(string expression, string expected) =>
        Assert.That(HttpExtract.XPath(expression).Find(View(Page)), Is.EqualTo(expected));

    [TestCase("//li[@class='missing']")]
    [TestCase("//DIV")]
    [TestCase("string(//nav)")]
    public void XPath_NothingMatches_FindsNothing(string expression) =>
        Assert.That(HttpExtract.XPath(expression).Find(View(Page)), Is.Null);

    [Test]
    public void XPath_MalformedHtml_IsReadAsABrowserReadsIt()
    {
        // Unclosed and misnested tags, a stray end tag, unquoted attributes, no html/head/body, a bare ampersand.
        const string page = "<title>Shop</title><p>first<p>second <b>bold <i>both</b> italic</i></div>"
            + "<form action=/go><input name=csrf value=abc&def><select><option value=1 selected>One</select>"
            + "<table><td>cell</table><p>last";
        var view = View(page);

        Assert.That(HttpExtract.XPath("count(//p)").Find(view), Is.EqualTo("3"));
        Assert.That(HttpExtract.XPath("//p[1]").Find(view), Is.EqualTo("first"));
        Assert.That(HttpExtract.XPath("normalize-space(//p[2])").Find(view), Is.EqualTo("second bold both italic"));
        Assert.That(HttpExtract.XPath("//input[@name='csrf']/@value").Find(view), Is.EqualTo("abc&def"));
        Assert.That(HttpExtract.XPath("//form/@action").Find(view), Is.EqualTo("/go"));
        Assert.That(HttpExtract.XPath("//option[@selected]/@value").Find(view), Is.EqualTo("1"));
        Assert.That(HttpExtract.XPath("//table/tbody/tr/td").Find(view), Is.EqualTo("cell"));
        Assert.That(HttpExtract.XPath("/html/head/title").Find(view), Is.EqualTo("Shop"));
        Assert.That(HttpExtract.XPath("(//p)[last()]").Find(view), Is.EqualTo("last"));
        Assert.That(HttpExtract.XPath("name(//p[.='last']/..)").Find(view), Is.EqualTo("form")); // the form is never closed
    }

    [Test]
    public void XPathAndCss_OnOneResponse_ShareOneParse()
    {
        var view = View(Page);

        Assert.That(HttpExtract.Css("a.next", "href").Find(view), Is.EqualTo("/orders?page=2&size=10"));
        Assert.That(HttpExtract.XPath("//a[@class='next']/@href").Find(view), Is.EqualTo("/orders?page=2&size=10"));
        Assert.That(HttpExtract.XPath("//title").Find(view), Is.EqualTo("Orders & more"));

        var root = view.XPath;
        Assert.That(root.Clone().SelectSingleNode("//a[@class='next']")!.UnderlyingObject, Is.SameAs(view.Html.QuerySelector("a.next")));
        Assert.That(view.XPath, Is.SameAs(root));
    }

    [Test]
    public void Navigator_DocumentOrderAndAxes_AreThoseOfTheDom()
    {
        var root = View(Page).XPath.Clone();

        // A union is in document order, an element's attributes come before its children.
        var union = root.Select("//li[@class='x']/@class | //ul | //li[3] | //li[1]");
        Assert.That(Names(union), Is.EqualTo(new[] { "ul", "li", "class", "li" }));
        Assert.That(Names(root.Select("//h1/node()")), Is.EqualTo(new[] { "", "b", "" }));
        Assert.That(Names(root.Select("//li[2]/preceding::*[1] | //li[2]/following::*[1]")), Is.EqualTo(new[] { "li", "li" }));
        Assert.That(root.Evaluate("count(/html/body/preceding-sibling::*)"), Is.EqualTo(1d));
        Assert.That(root.Evaluate("count(//svg/@*)"), Is.EqualTo(1d));
        Assert.That(root.Evaluate("count(/node())"), Is.EqualTo(1d)); // the doctype is not a node
        Assert.That(root.Evaluate("namespace-uri(//div)"), Is.Empty);

        var input = root.SelectSingleNode("//input[@name='csrf']")!;
        Assert.That(input.GetAttribute("value", ""), Is.EqualTo("c5rf-7f3a"));
        Assert.That(input.IsEmptyElement, Is.True);
        Assert.That(input.MoveToParent() && input.Name == "form", Is.True);
    }

    [Test]
    [MaxTime(15_000)] // generous for a shared machine: the quadratic navigation took tens of seconds here
    public void XPath_OnALongPage_StaysLinear()
    {
        var page = new StringBuilder("<html><body>");
        for (var i = 0; i < 5_000; i++)
        {
            page.Append(System.Globalization.CultureInfo.InvariantCulture, $"<div><a href='/p/{i}'>item {i}</a><ul><li>x</li></ul></div>");
        }

        var view = View(page.Append("</body></html>").ToString());

        // Sibling steps and document-order merges are by number: quadratic before, these took seconds.
        Assert.That(HttpExtract.XPath("count(//a | //li)").Find(view), Is.EqualTo("10000"));
        Assert.That(HttpExtract.XPath("//div[last()]/a/@href").Find(view), Is.EqualTo("/p/4999"));
        Assert.That(HttpExtract.XPath("count(//div//a[contains(@href,'/p/1')])").Find(view), Is.EqualTo("1111"));
    }

    [TestCase("//a[", "XPath '//a[' is malformed: ")]
    [TestCase("count('x')", "XPath 'count('x')' is malformed: ")]
    [TestCase("//svg:path", "XPath '//svg:path' cannot be evaluated: namespace prefixes, variables and functions beyond XPath 1.0's own are not supported")]
    [TestCase("//use/@xlink:href", "XPath '//use/@xlink:href' cannot be evaluated: namespace prefixes")]
    [TestCase("//a[@id=$id]", "XPath '//a[@id=$id]' cannot be evaluated: namespace prefixes")]
    [TestCase("lower-case(//title)", "XPath 'lower-case(//title)' cannot be evaluated: namespace prefixes")]
    public void XPath_Invalid_IsAProblemNamingTheExpression(string expression, string expected)
    {
        var extract = HttpExtract.XPath(expression);

        Assert.That(extract.Problem, Does.StartWith(expected));
        Assert.That(extract.Description, Is.EqualTo($"XPath {expression}"));
    }

    [Test]
    public void Build_InvalidXPath_ListsItWithItsStep()
    {
        var builder = Scenario.Create("bad")
            .WithHttp(new HttpSettings { BaseAddress = new Uri("http://127.0.0.1:1/") })
            .Step("svg", LoadKit.Http.Get("/a").Extract("x", HttpExtract.XPath("//svg:rect/@width")))
            .WithLoad(Load.IterationsPerUser(1, 1));

        var error = Assert.Throws<ScenarioValidationException>(() => builder.Build())!;

        Assert.That(error.Message, Does.Contain("'svg' = GET /a: extraction 'x': XPath '//svg:rect/@width' cannot be evaluated: namespace prefixes, variables and functions"));
    }

    private static HttpResponseView View(string html) =>
        new(200, _ => null, Encoding.UTF8.GetBytes(html));

    private static List<string> Names(XPathNodeIterator nodes)
    {
        var names = new List<string>();
        while (nodes.MoveNext())
        {
            names.Add(nodes.Current!.Name);
        }

        return names;
    }
}
