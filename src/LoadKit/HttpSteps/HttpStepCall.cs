namespace LoadKit.HttpSteps;

/// <summary>
/// The action of a step that sends an <see cref="HttpCall"/> (<see cref="TaskBuilder.Step(string, HttpCall, TimeSpan?)"/>):
/// no wrapper, so one state machine per request. Its type tells the engine that the step runs none of the user's code.
/// </summary>
internal sealed class HttpStepCall(HttpCall request)
{
    public HttpCall Request => request;

    public ValueTask SendAsync(StepContext context) => HttpSender.SendAsync(request, context, reply: null);
}
