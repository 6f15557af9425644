using LoadKit.Steps;

namespace LoadKit.NUnitSteps;

/// <summary>
/// One VU's instance of a fixture, kept in its session: created with [OneTimeSetUp] run on the VU's first call of one
/// of its tests; at the VU's end [OneTimeTearDown] runs and the instance is disposed (IAsyncDisposable or IDisposable).
/// </summary>
internal sealed class NUnitFixtureInstance : IVirtualUserResource
{
    private NUnitFixtureInstance(NUnitFixture fixture, object? instance)
    {
        Fixture = fixture;
        Instance = instance;
    }

    public NUnitFixture Fixture { get; }

    public object? Instance { get; }

    /// <summary>The VU's instance of <paramref name="fixture"/>: the one in its session, or a new one set up now.</summary>
    /// <exception cref="NUnitSetUpException">The constructor or a [OneTimeSetUp] failed; the instance was torn down and dropped, the next call tries again.</exception>
    public static async ValueTask<NUnitFixtureInstance> ForAsync(NUnitFixture fixture, Session session)
    {
        if (session.TryGet<NUnitFixtureInstance>(fixture.SessionKey, out var existing))
        {
            return existing;
        }

        object? instance;
        try
        {
            instance = fixture.Create();
        }
        catch (Exception exception)
        {
            throw new NUnitSetUpException($"{fixture.Type.Name} constructor", exception);
        }

        var created = new NUnitFixtureInstance(fixture, instance);
        foreach (var method in fixture.OneTimeSetUps)
        {
            try
            {
                await NUnitFixture.InvokeAsync(method, instance).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                // NUnit runs the one-time tear-downs after a failed one-time set-up, too.
                await created.DisposeAsync().ConfigureAwait(false);
                throw new NUnitSetUpException($"[OneTimeSetUp] {method.Name}", exception);
            }
        }

        session.Set(fixture.SessionKey, created);
        return created;
    }

    public async ValueTask DisposeAsync()
    {
        // Nothing is left to report a failure to at the VU's end; a failing tear-down must not stop the others.
        foreach (var method in Fixture.OneTimeTearDowns)
        {
            try
            {
                await NUnitFixture.InvokeAsync(method, Instance).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
            }
        }

        try
        {
            switch (Instance)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
        }
    }
}

/// <summary>A fixture's constructor or [OneTimeSetUp] failed: the step fails with this message, naming the method.</summary>
internal sealed class NUnitSetUpException(string what, Exception inner)
    : Exception($"{what} failed: {NUnitAttributes.DescribeOutcome(inner) ?? $"{inner.GetType().Name}: {NUnitAttributes.OneLine(inner.Message)}"}", inner);
