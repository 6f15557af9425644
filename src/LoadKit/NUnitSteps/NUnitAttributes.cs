using System.Reflection;

namespace LoadKit.NUnitSteps;

/// <summary>
/// The NUnit attributes and exceptions LoadKit recognises, by full name: the test's own NUnit.Framework (any version)
/// defines them, so no NUnit version is pinned and LoadKit needs no reference to it.
/// </summary>
internal static class NUnitAttributes
{
    public const string Test = "NUnit.Framework.TestAttribute";
    public const string TestCase = "NUnit.Framework.TestCaseAttribute";
    public const string TestCaseSource = "NUnit.Framework.TestCaseSourceAttribute";
    public const string Theory = "NUnit.Framework.TheoryAttribute";
    public const string SetUp = "NUnit.Framework.SetUpAttribute";
    public const string TearDown = "NUnit.Framework.TearDownAttribute";
    public const string OneTimeSetUp = "NUnit.Framework.OneTimeSetUpAttribute";
    public const string OneTimeTearDown = "NUnit.Framework.OneTimeTearDownAttribute";
    public const string Ignore = "NUnit.Framework.IgnoreAttribute";
    public const string TestFixture = "NUnit.Framework.TestFixtureAttribute";
    public const string TestFixtureSource = "NUnit.Framework.TestFixtureSourceAttribute";

    /// <summary>The attribute on <paramref name="member"/> that is, or derives from, the attribute named <paramref name="fullName"/>.</summary>
    public static CustomAttributeData? Find(MemberInfo member, string fullName)
    {
        foreach (var data in member.GetCustomAttributesData())
        {
            for (var type = data.AttributeType; type is not null; type = type.BaseType)
            {
                if (type.FullName == fullName)
                {
                    return data;
                }
            }
        }

        return null;
    }

    public static bool Has(MemberInfo member, string fullName) => Find(member, fullName) is not null;

    /// <summary>
    /// What a failed NUnit call reports, on one line: assertion failures, Assert.Ignore and Assert.Inconclusive say so;
    /// null for any other exception (it is reported as it is). Assert.Pass's exception is not a failure: see <see cref="IsPass"/>.
    /// </summary>
    public static string? DescribeOutcome(Exception exception)
    {
        for (var type = exception.GetType(); type is not null; type = type.BaseType)
        {
            switch (type.FullName)
            {
                case "NUnit.Framework.AssertionException":
                case "NUnit.Framework.MultipleAssertException":
                    return "Assertion failed: " + OneLine(exception.Message);
                case "NUnit.Framework.IgnoreException":
                    return "Ignored: " + OneLine(exception.Message);
                case "NUnit.Framework.InconclusiveException":
                    return "Inconclusive: " + OneLine(exception.Message);
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="exception"/> is Assert.Pass's, which ends a test successfully.</summary>
    public static bool IsPass(Exception exception) => exception.GetType().FullName == "NUnit.Framework.SuccessException";

    /// <summary>NUnit's messages span lines ("Expected: ... But was: ..."); the error table shows one line per error.</summary>
    public static string OneLine(string message) => string.Join(' ', message.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
