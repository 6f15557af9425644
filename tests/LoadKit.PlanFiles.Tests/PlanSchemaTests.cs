using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using LoadKit.PlanFiles.Documents;
using LoadKit.TestTargets;

namespace LoadKit.PlanFiles.Tests;

/// <summary>The plan schema that editors use: shipped in the package as in docs, and the plans we ship keep to it.</summary>
public class PlanSchemaTests
{
    private static readonly string DocsSchema = Path.Combine(Repository.Root, "docs", "plan.schema.json");

    private static JsonSchema Schema => JsonSchema.FromText(PlanFile.JsonSchema);

    /// <summary>The plans users see first: the samples, and every YAML or JSON block of the plan-files page and the README.</summary>
    private static IEnumerable<TestCaseData> ShippedPlans()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(Repository.Root, "samples", "Plans")).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal)))
        {
            yield return new TestCaseData(Path.GetFileName(file), File.ReadAllText(file)).SetArgDisplayNames(Path.GetFileName(file));
        }

        foreach (var page in new[] { Path.Combine("docs", "plan-files.md"), "README.md" })
        {
            var name = Path.GetFileName(page);
            var blocks = Regex.Matches(File.ReadAllText(Path.Combine(Repository.Root, page)), "```(yaml|json)\n(.*?)```", RegexOptions.Singleline);
            for (var i = 0; i < blocks.Count; i++)
            {
                // Blocks that are fragments of a plan say so in their first line.
                if (!blocks[i].Groups[2].Value.StartsWith("# fragment", StringComparison.Ordinal))
                {
                    yield return new TestCaseData($"{name}.{blocks[i].Groups[1].Value}", blocks[i].Groups[2].Value).SetArgDisplayNames($"{name} block {i + 1}");
                }
            }
        }
    }

    [Test]
    public void JsonSchema_InThePackage_IsTheOneInDocs()
    {
        Assert.That(PlanFile.JsonSchema, Is.EqualTo(File.ReadAllText(DocsSchema)));
        Assert.That(JsonNode.Parse(PlanFile.JsonSchema)!["$schema"]!.GetValue<string>(), Is.EqualTo("http://json-schema.org/draft-07/schema#"), "the draft editors support best");
    }

    [TestCaseSource(nameof(ShippedPlans))]
    public void ShippedPlan_KeepsToTheSchemaAndCompiles(string name, string text)
    {
        var root = DocumentReader.Read(text, name.EndsWith(".json", StringComparison.Ordinal), out var problem);
        Assert.That(problem, Is.Null);

        var result = Schema.Evaluate(System.Text.Json.JsonDocument.Parse(NodeJson.Write(root!)).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });

        Assert.That(result.IsValid, Is.True, string.Join(Environment.NewLine, Errors(result)));
        var folder = Path.Combine(Repository.Root, "samples", "Plans");
        Assert.That(PlanFile.Parse(text, name, folder).Scenarios, Is.Not.Empty);
    }

    [Test]
    public void JsonSchema_PlanWithATypoAndAWrongType_IsRejected()
    {
        var plan = System.Text.Json.JsonDocument.Parse("""
            { "scenarios": [ { "name": "a", "steps": [ { "name": "b", "reqeust": { "url": "/x" } } ],
                               "load": [ { "constantUsers": { "users": "ten", "during": "1m" } } ] } ] }
            """).RootElement;

        var result = Schema.Evaluate(plan, new EvaluationOptions { OutputFormat = OutputFormat.List });

        Assert.That(result.IsValid, Is.False);
        var errors = string.Join(Environment.NewLine, Errors(result));
        Assert.That(errors, Does.Contain("/scenarios/0/steps/0").And.Contain("/scenarios/0/load/0/constantUsers/users"));
    }

    private static IEnumerable<string> Errors(EvaluationResults result) =>
        (result.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}"));
}
