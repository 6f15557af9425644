using System.Text.RegularExpressions;

namespace LoadKit.Testing.Tests;

/// <summary>The README's first example is this project's ReadmeExample.cs, which compiles and runs as a test here.</summary>
public class ReadmeTests
{
    [Test]
    public void FirstCSharpBlock_IsTheCompiledExample()
    {
        var root = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "LoadKit.sln")))
        {
            root = root.Parent;
        }

        Assert.That(root, Is.Not.Null, "LoadKit.sln not found above the test directory");
        var readme = File.ReadAllText(Path.Combine(root!.FullName, "README.md"));
        var example = File.ReadAllText(Path.Combine(root.FullName, "tests", "LoadKit.Testing.Tests", "ReadmeExample.cs"));

        var block = Regex.Match(readme, "```csharp\n(.*?)```", RegexOptions.Singleline);

        Assert.That(block.Success, Is.True, "README.md has no ```csharp block");
        Assert.That(Normalize(block.Groups[1].Value), Is.EqualTo(Normalize(example)),
            "README.md's first example must equal tests/LoadKit.Testing.Tests/ReadmeExample.cs");
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
}
