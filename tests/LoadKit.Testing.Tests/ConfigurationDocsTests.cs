using System.Reflection;
using LoadKit.TestTargets;

namespace LoadKit.Testing.Tests;

/// <summary>docs/configuration.md names every setting the code reads, so the reference cannot fall behind.</summary>
public class ConfigurationDocsTests
{
    [Test]
    public void ConfigurationReference_ListsEveryEnvironmentVariableAndRunParameter()
    {
        var reference = File.ReadAllText(Path.Combine(Repository.Root, "docs", "configuration.md"));
        var variables = new[] { typeof(Scenario).Assembly, typeof(ClusterOptions).Assembly, typeof(OtlpExporter).Assembly, typeof(LoadTest).Assembly }
            .SelectMany(a => a.GetExportedTypes())
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.IsLiteral && f.Name.EndsWith("Variable", StringComparison.Ordinal))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Distinct()
            .ToArray();

        Assert.That(variables, Has.Length.GreaterThan(10), "the constants were found");
        Assert.Multiple(() =>
        {
            foreach (var variable in variables)
            {
                Assert.That(reference, Does.Contain($"`{variable}`"), $"{variable} is not in docs/configuration.md");
                if (variable is not (HttpSettings.BaseAddressVariable or OtlpExporter.StandardEndpointVariable))
                {
                    Assert.That(reference, Does.Contain($"`{LoadTest.ParameterFor(variable)}`"), $"the run parameter of {variable}");
                }
            }
        });
    }
}
