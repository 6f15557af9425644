using System.Reflection;
using LoadKit.NUnitSteps;

namespace LoadKit;

/// <summary>
/// One NUnit [Test] method as a scenario step, from <see cref="NUnitTests.Step"/>; add it with
/// <see cref="NUnitStepExtensions.Step(ScenarioBuilder, NUnitStep, TimeSpan?)"/>. Each call runs the test the way
/// NUnit does, on the VU's own fixture instance: [SetUp] methods, the test, [TearDown] methods. The step fails
/// when any of them fails, with the failure's message; Assert.Ignore and Assert.Inconclusive fail it too
/// ("Ignored: ...", "Inconclusive: ...": a call that did not test anything must not pass a gate), Assert.Pass
/// passes it. Immutable.
/// </summary>
public sealed class NUnitStep
{
    private readonly NUnitFixture _fixture;
    private readonly MethodInfo _method;

    internal NUnitStep(string name, string testName, NUnitFixture fixture, MethodInfo method)
    {
        Name = name;
        TestName = testName;
        _fixture = fixture;
        _method = method;
    }

    /// <summary>The step's name, as the test was named in <see cref="NUnitTests.Step"/>: the results count calls and failures under it.</summary>
    public string Name { get; }

    /// <summary>The test's full name: namespace, class and method, e.g. <c>Shop.Tests.CartTests.AddsAnItem</c>.</summary>
    public string TestName { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({TestName})";

    /// <summary>
    /// One call of the test: the VU's fixture (set up on first use), set-ups, the test, tear-downs. A sync test runs
    /// on the VU's own thread (<see cref="NUnitUserThread"/>), an async one on the engine's.
    /// </summary>
    internal async ValueTask RunAsync(StepContext context)
    {
        NUnitFixtureInstance fixture;
        try
        {
            fixture = await NUnitFixtureInstance.ForAsync(_fixture, context.Session).ConfigureAwait(false);
        }
        catch (NUnitSetUpException exception)
        {
            context.Fail(exception.Message);
            return;
        }

        var failure = _method.ReturnType == typeof(void)
            ? await NUnitUserThread.For(context.Session).RunAsync(() => CallAsync(fixture)).ConfigureAwait(false)
            : await CallAsync(fixture).ConfigureAwait(false);
        if (failure is not null)
        {
            context.Fail(failure);
        }
    }

    /// <summary>
    /// Set-ups, the test and tear-downs; returns the failure to report, or throws the test's own exception (not an
    /// NUnit outcome), so that the engine classifies a timeout or a stop as such.
    /// </summary>
    /// <remarks>
    /// An async method on purpose: NUnit keeps its ad hoc test context (which collects every assertion result) in an
    /// AsyncLocal; set inside this method, it is dropped when the method returns, so each call starts afresh and a
    /// long run does not accumulate results.
    /// </remarks>
    private async ValueTask<string?> CallAsync(NUnitFixtureInstance fixture)
    {
        string? failure = null;
        Exception? testError = null;
        var setUpsRan = true;
        foreach (var setUp in _fixture.SetUps)
        {
            try
            {
                await NUnitFixture.InvokeAsync(setUp, fixture.Instance).ConfigureAwait(false);
            }
            catch (Exception exception) when (!NUnitAttributes.IsPass(exception))
            {
                failure = Describe($"[SetUp] {setUp.Name}", exception);
                setUpsRan = false;
                break;
            }
            catch (Exception)
            {
                // Assert.Pass in a set-up: the rest of the set-up is skipped, the test still runs.
            }
        }

        if (setUpsRan)
        {
            try
            {
                await NUnitFixture.InvokeAsync(_method, fixture.Instance).ConfigureAwait(false);
            }
            catch (Exception exception) when (!NUnitAttributes.IsPass(exception))
            {
                // NUnit's own outcomes are reported on one line; any other exception goes to the engine as it is.
                failure = NUnitAttributes.DescribeOutcome(exception);
                testError = failure is null ? exception : null;
            }
            catch (Exception)
            {
                // Assert.Pass: the test passed.
            }
        }

        // Tear-downs run whatever happened before, as in NUnit; the first failure is the one reported.
        foreach (var tearDown in _fixture.TearDowns)
        {
            try
            {
                await NUnitFixture.InvokeAsync(tearDown, fixture.Instance).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                if (failure is null && testError is null && !NUnitAttributes.IsPass(exception))
                {
                    failure = Describe($"[TearDown] {tearDown.Name}", exception);
                }
            }
        }

        if (testError is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(testError).Throw();
        }

        return failure;
    }

    private static string Describe(string where, Exception exception) =>
        $"{where} failed: {NUnitAttributes.DescribeOutcome(exception) ?? $"{exception.GetType().Name}: {NUnitAttributes.OneLine(exception.Message)}"}";
}

/// <summary>Adds NUnit tests to scenarios and tasks as steps.</summary>
public static class NUnitStepExtensions
{
    /// <summary>
    /// Adds <paramref name="test"/> as a step named <see cref="NUnitStep.Name"/>; it times out after
    /// <paramref name="timeout"/> (default: the scenario's step timeout). A test cannot be interrupted (it takes no
    /// cancellation token): the step ends when the test returns, and is then counted as timed out.
    /// </summary>
    public static ScenarioBuilder Step(this ScenarioBuilder scenario, NUnitStep test, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(test);
        return scenario.Step(test.Name, test.RunAsync, timeout);
    }

    /// <summary>Adds <paramref name="test"/> as a step of a task, as <see cref="Step(ScenarioBuilder, NUnitStep, TimeSpan?)"/>.</summary>
    public static TaskBuilder Step(this TaskBuilder task, NUnitStep test, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(test);
        return task.Step(test.Name, test.RunAsync, timeout);
    }
}
