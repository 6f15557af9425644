namespace LoadKit;

/// <summary>
/// A step type that can do, before a distributed run's start instant, what a VU's first call of it would otherwise pay
/// for after the instant, such as opening the VU's connection. LoadKit asks it for each VU that the first load phase
/// starts at once, after the VU's init, when the step's delegate is a method of an object that implements it
/// (<c>.Step("name", myStep.RunAsync)</c>); LoadKit's WebSocket connect and gRPC steps do. A run alone (not
/// distributed) does not prepare.
/// </summary>
/// <remarks>
/// Send nothing the target would count as load: connections, yes; requests, no. A preparation that fails is left to
/// the run, whose first call then meets the failure and counts it as usual.
/// </remarks>
public interface IPreparableStep
{
    /// <summary>
    /// Prepares the VU of <paramref name="context"/> (its <see cref="StepContext.Session"/>, after init);
    /// <see cref="StepContext.CancellationToken"/> ends the preparation.
    /// </summary>
    ValueTask PrepareAsync(StepContext context);
}
