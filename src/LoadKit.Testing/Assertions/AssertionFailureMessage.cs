namespace LoadKit.Testing;

/// <summary>Builds a gate's failure message: expectation, FluentAssertions' reason, finding, and the step table.</summary>
internal static class AssertionFailureMessage
{
    public static string Build(string expectation, string finding, string table) =>
        Escape(expectation) + "{reason}" + Escape(finding) + Escape(Environment.NewLine + Environment.NewLine + table);

    // FluentAssertions passes the message through string.Format: braces in step names or errors must be doubled.
    private static string Escape(string text) => text.Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal);
}
