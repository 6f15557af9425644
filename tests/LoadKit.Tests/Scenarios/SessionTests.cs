namespace LoadKit.Tests.Scenarios;

public class SessionTests
{
    [Test]
    public void Get_MissingKey_NamesKeyAndKeysPresent()
    {
        var session = new Session(3);
        session.Set("token", "abc");

        var exception = Assert.Throws<KeyNotFoundException>(() => session.Get<string>("cart"));

        Assert.That(exception.Message, Does.Contain("VU 3 has no value 'cart' (keys present: token)"));
    }

    [Test]
    public void Get_WrongType_SaysWhatIsStored()
    {
        var session = new Session(0);
        session.Set("count", 5);

        var exception = Assert.Throws<InvalidCastException>(() => session.Get<string>("count"));

        Assert.That(exception.Message, Does.Contain("is a Int32, not a String"));
    }

    [Test]
    public void SetGetTryGetRemove_WorkTogether()
    {
        var session = new Session(1);
        session.Set("id", 42L);
        session.Set("missing", (string?)null);

        Assert.That(session.Get<long>("id"), Is.EqualTo(42L));
        Assert.That(session.Get<string?>("missing"), Is.Null);
        Assert.That(session.TryGet<long>("id", out var id) && id == 42, Is.True);
        Assert.That(session.TryGet<string>("id", out _), Is.False);
        Assert.That(session.Remove("id"), Is.True);
        Assert.That(session.Contains("id"), Is.False);
    }
}
