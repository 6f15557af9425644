namespace LoadKit;

/// <summary>
/// Starts an HTTP request description: <c>Http.Post("/login").Json("{\"user\":\"{{user}}\"}").Extract("token", HttpExtract.JsonPath("$.token"))</c>.
/// Paths, query values, headers and bodies are <see cref="Template"/>s filled from the VU's session.
/// Add it to a scenario with <see cref="ScenarioBuilder.Step(string, HttpCall, TimeSpan?)"/>, or send it from
/// code inside a step with <see cref="HttpCall.SendAsync(StepContext)"/>.
/// </summary>
public static class Http
{
    /// <summary>A GET request.</summary>
    public static HttpCall Get(string path) => new(HttpMethod.Get, path);

    /// <summary>A POST request.</summary>
    public static HttpCall Post(string path) => new(HttpMethod.Post, path);

    /// <summary>A PUT request.</summary>
    public static HttpCall Put(string path) => new(HttpMethod.Put, path);

    /// <summary>A PATCH request.</summary>
    public static HttpCall Patch(string path) => new(HttpMethod.Patch, path);

    /// <summary>A DELETE request.</summary>
    public static HttpCall Delete(string path) => new(HttpMethod.Delete, path);

    /// <summary>A request with any method.</summary>
    public static HttpCall Request(HttpMethod method, string path) => new(method, path);
}
