using System.Text.RegularExpressions;
using LoadKit.TestTargets;

namespace LoadKit.Testing.Tests;

/// <summary>The README's first example is this project's ReadmeExample.cs, which compiles and runs as a test here.</summary>
public class ReadmeTests
{
    [Test]
    public void FirstCSharpBlock_IsTheCompiledExample()
    {
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        var example = File.ReadAllText(Path.Combine(Repository.Root, "tests", "LoadKit.Testing.Tests", "ReadmeExample.cs"));

        var block = Regex.Match(readme, "```csharp\n(.*?)```", RegexOptions.Singleline);

        Assert.That(block.Success, Is.True, "README.md has no ```csharp block");
        Assert.That(Normalize(block.Groups[1].Value), Is.EqualTo(Normalize(example)),
            "README.md's first example must equal tests/LoadKit.Testing.Tests/ReadmeExample.cs");
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
}
