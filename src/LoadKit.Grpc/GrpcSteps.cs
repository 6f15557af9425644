using Grpc.Core;

namespace LoadKit;

/// <summary>
/// gRPC steps through a service's generated client (Grpc.Net.Client): <see cref="Client"/> makes a
/// <see cref="GrpcClient{TClient}"/>, whose methods describe the calls, and <c>Step(name, call)</c> adds one to a
/// scenario or task. Each call's status, its messages and the connections it opened are counted in the step's
/// <see cref="StepStats.Grpc"/>.
/// </summary>
public static class GrpcSteps
{
    /// <summary>
    /// A client of the service at <see cref="GrpcSettings.Address"/> (or <see cref="GrpcSettings.AddressVariable"/>):
    /// <paramref name="create"/> makes the generated client over a channel's invoker, once per channel, e.g.
    /// <c>invoker => new Greeter.GreeterClient(invoker)</c>. No connection opens until a VU's first call, or, in a
    /// distributed run, until the worker prepares the VU before the start instant (<see cref="IPreparableStep"/>).
    /// </summary>
    /// <exception cref="ArgumentException">No address, or one that is not an absolute http:// or https:// address.</exception>
    public static GrpcClient<TClient> Client<TClient>(GrpcSettings settings, Func<CallInvoker, TClient> create)
        where TClient : class
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(create);
        var address = settings.Address;
        var source = $"{nameof(GrpcSettings)}.{nameof(GrpcSettings.Address)}";
        if (address is null && Environment.GetEnvironmentVariable(GrpcSettings.AddressVariable) is { Length: > 0 } text)
        {
            source = GrpcSettings.AddressVariable;
            address = Uri.TryCreate(text, UriKind.Absolute, out var parsed) ? parsed : throw Bad(source, text);
        }

        if (address is null)
        {
            throw new ArgumentException($"{source} is not set, nor {GrpcSettings.AddressVariable}: give the server's address, such as http://127.0.0.1:5001 (h2c) or https://orders.example:443 (TLS).", nameof(settings));
        }

        if (!address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps) || address.Host.Length == 0)
        {
            throw Bad(source, address.OriginalString);
        }

        return new GrpcClient<TClient>(address, settings, create);
    }

    /// <summary>
    /// A client for calls without generated code, by method name with JSON requests (<see cref="GrpcDynamicClient.Unary"/>):
    /// the messages are defined by <paramref name="descriptors"/>, or, when it is null, by the server's reflection service
    /// (grpc.reflection.v1alpha; in ASP.NET Core, <c>MapGrpcReflectionService</c>), asked once per method.
    /// </summary>
    /// <exception cref="ArgumentException">No address, or one that is not an absolute http:// or https:// address.</exception>
    public static GrpcDynamicClient DynamicClient(GrpcSettings settings, GrpcDescriptorSet? descriptors = null) =>
        new(Client(settings, static invoker => invoker), descriptors);

    /// <summary>Adds a gRPC call as a step named <paramref name="name"/>.</summary>
    public static ScenarioBuilder Step(this ScenarioBuilder scenario, string name, GrpcStep call, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(call);
        return scenario.Step(name, call.RunAsync, timeout);
    }

    /// <summary>Adds a gRPC call as a step named <paramref name="name"/> of a task.</summary>
    public static TaskBuilder Step(this TaskBuilder task, string name, GrpcStep call, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(call);
        return task.Step(name, call.RunAsync, timeout);
    }

    private static ArgumentException Bad(string source, string value) =>
        new($"{source} = '{value}': allowed an absolute http:// (HTTP/2 without TLS) or https:// (TLS) address with a host, such as http://127.0.0.1:5001.", "settings");
}
