using System.Text.RegularExpressions;
using LoadKit.TestTargets;

namespace LoadKit.Cli.Tests.Packaging;

/// <summary>The <c>dotnet new</c> template as a user gets it: packed, installed (in a hive of its own), used.</summary>
public partial class TemplatePackageTests
{
    [Test]
    public async Task DotnetNew_PackedTemplate_WritesWhatLoadkitInitTestsWrites()
    {
        var root = Directory.CreateTempSubdirectory("loadkit-template-").FullName;
        try
        {
            var feed = Path.Combine(root, "feed");
            var hive = Path.Combine(root, "hive"); // not the user's own list of templates
            var version = $"0.1.0-t{DateTime.UtcNow:yyyyMMddHHmmss}{Environment.ProcessId}";
            var configuration = new DirectoryInfo(TestContext.CurrentContext.TestDirectory).Parent!.Name; // bin/<configuration>/net10.0
            await LoadkitProcess.DotnetAsync(root, "pack", Path.Combine(Repository.Root, "src", "LoadKit.Templates"), "--no-build", "-c", configuration, "-o", feed, $"-p:Version={version}");
            await LoadkitProcess.DotnetAsync(root, "new", "install", Path.Combine(feed, $"LoadKit.Templates.{version}.nupkg"), "--debug:custom-hive", hive);
            await LoadkitProcess.DotnetAsync(root, "new", "loadkit-nunit", "-n", "Shop.LoadTests", "-o", "from-template", "--debug:custom-hive", hive);
            var init = await LoadkitProcess.RunAsync(root, "init", "tests", "from-init", "--name", "Shop.LoadTests");

            Assert.That(init.ExitCode, Is.Zero, init.ToString());
            var fromTemplate = Path.Combine(root, "from-template");
            var fromInit = Path.Combine(root, "from-init");
            Assert.That(Directory.GetFiles(fromTemplate).Select(Path.GetFileName), Is.EquivalentTo(new[] { "Shop.LoadTests.csproj", "LoadTests.cs", "plan.yaml", "plan.schema.json" }));
            Assert.That(await File.ReadAllTextAsync(Path.Combine(fromTemplate, "Shop.LoadTests.csproj")), Does.Contain($"<LoadKitVersion>{version}</LoadKitVersion>"), "the packages of the template's own version");
            foreach (var file in Directory.GetFiles(fromTemplate).Select(Path.GetFileName))
            {
                // The same files, but for the version each one stamps into the project.
                Assert.That(
                    Version().Replace(await File.ReadAllTextAsync(Path.Combine(fromTemplate, file!)), ""),
                    Is.EqualTo(Version().Replace(await File.ReadAllTextAsync(Path.Combine(fromInit, file!)), "")),
                    file);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [GeneratedRegex("<LoadKitVersion>[^<]*</LoadKitVersion>")]
    private static partial Regex Version();
}
