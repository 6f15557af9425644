using NUnit.Framework;

namespace LoadKit.Tests.Scenarios;

public class TemplateTests
{
    [Test]
    public void Render_PlaceholdersFromTheSession_FormattedInvariantly()
    {
        var session = new Session(2);
        session.Set("id", 42);
        session.Set("price", 12.5);
        session.Set("name", "anna");

        var template = Template.Parse("/orders/{{id}}?price={{ price }}&who={{name}}&again={{id}}");

        Assert.That(template.Render(session), Is.EqualTo("/orders/42?price=12.5&who=anna&again=42"));
        Assert.That(template.Names, Is.EqualTo(new[] { "id", "price", "name" }));
        Assert.That(template.IsConstant, Is.False);
    }

    [Test]
    public void Render_NoPlaceholders_ReturnsTheSameStringWithoutAllocating()
    {
        var text = "/products";
        var template = Template.Parse(text);
        var session = new Session(0);
        template.Render(session);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var rendered = template.Render(session);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(rendered, Is.SameAs(template.Render(session)));
        Assert.That(allocated, Is.Zero);
        Assert.That(template.IsConstant, Is.True);
    }

    [Test]
    public void Render_EscapedBraces_AreLiteral()
    {
        var session = new Session(0);
        session.Set("x", "v");

        Assert.That(Template.Parse("{{{{x}} is {{x}}").Render(session), Is.EqualTo("{{x}} is v"));
    }

    [Test]
    public void Render_MissingValue_NamesTheTemplateTheNameAndTheKeysPresent()
    {
        var session = new Session(7);
        session.Set("token", "t");

        var error = Assert.Throws<KeyNotFoundException>(() => Template.Parse("/orders/{{orderId}}").Render(session))!;

        Assert.That(error.Message, Does.Contain("'/orders/{{orderId}}'").And.Contain("'orderId'").And.Contain("VU 7").And.Contain("keys present: token"));
    }

    [Test]
    public void Render_NullValue_IsEmpty()
    {
        var session = new Session(0);
        session.Set<string?>("x", null);

        Assert.That(Template.Parse("[{{x}}]").Render(session), Is.EqualTo("[]"));
    }

    [TestCase("/orders/{{id", "never closes")]
    [TestCase("/orders/{{}}", "without a valid name")]
    [TestCase("/orders/{{  }}", "without a valid name")]
    public void Parse_Malformed_SaysWhatIsWrong(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => Template.Parse(text))!;

        Assert.That(error.Message, Does.Contain(text).And.Contain(expected));
    }
}
