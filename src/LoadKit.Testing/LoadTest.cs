using NUnit.Framework;

namespace LoadKit.Testing;

/// <summary>
/// Runs a load scenario from an NUnit test: it honours the test's cancellation token (NUnit's
/// <c>[CancelAfter]</c>) and writes the summary table to the test's output.
/// </summary>
public static class LoadTest
{
    /// <summary>Builds the scenario with <paramref name="scenarioFactory"/> and runs it.</summary>
    /// <param name="scenarioFactory">A method that returns the scenario, e.g. a <c>static Scenario Checkout()</c> of the test class.</param>
    public static Task<LoadResult> RunAsync(Func<Scenario> scenarioFactory)
    {
        ArgumentNullException.ThrowIfNull(scenarioFactory);
        return RunAsync(scenarioFactory());
    }

    /// <summary>Runs <paramref name="scenario"/> and writes its summary to the test output.</summary>
    public static async Task<LoadResult> RunAsync(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var result = await LoadRunner.RunAsync(scenario, TestContext.CurrentContext.CancellationToken).ConfigureAwait(false);
        await TestContext.Out.WriteLineAsync(SummaryTable.Render(result)).ConfigureAwait(false);
        return result;
    }
}
