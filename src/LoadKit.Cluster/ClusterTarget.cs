using LoadKit.Cluster;

namespace LoadKit;

/// <summary>
/// Runs a plan on the workers of a cluster: finds idle workers in etcd, sends them the test assembly's folder, tells
/// each which scenario factories to call and which segment of the load it owns, starts them at one instant and merges
/// their statistics exactly. A lost worker is named in the result and, by default, its remaining share moves to the
/// survivors. Set it as <see cref="RunOptions.Target"/>.
/// </summary>
public sealed class ClusterTarget : IRunTarget
{
    /// <summary>A target for the cluster that <paramref name="options"/> describe.</summary>
    public ClusterTarget(ClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>Where the workers are and how they are treated.</summary>
    public ClusterOptions Options { get; }

    /// <summary>
    /// A plan file to send the workers instead of a test assembly, for a plan whose scenarios were given as objects
    /// (compiled from that file): each worker compiles it and runs the scenarios of the same names. Default: none.
    /// </summary>
    public PlanFileSource? PlanSource { get; init; }

    /// <summary>
    /// A target for the cluster the environment names (<see cref="ClusterOptions.EtcdVariable"/> and the others); null
    /// when <see cref="ClusterOptions.EtcdVariable"/> is not set.
    /// </summary>
    /// <exception cref="ArgumentException">A variable holds a value that is not allowed; the message names it.</exception>
    public static ClusterTarget? FromEnvironment() =>
        ClusterOptions.Parse(Environment.GetEnvironmentVariable, name => $"environment variable {name}") is { } options ? new ClusterTarget(options) : null;

    /// <summary>
    /// A target that sends the workers the plan file <paramref name="plan"/> (as <c>loadkit run PLAN --etcd</c> and the
    /// control page do): each compiles it as this process did, so the base address this process read
    /// (<see cref="HttpSettings.BaseAddressVariable"/>, when set) is forwarded with <see cref="ClusterOptions.Forward"/>.
    /// </summary>
    public static ClusterTarget ForPlan(ClusterOptions options, PlanFileSource plan)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(plan);
        var forward = Environment.GetEnvironmentVariable(HttpSettings.BaseAddressVariable) is { Length: > 0 }
            ? [.. options.Forward.Append(HttpSettings.BaseAddressVariable).Distinct(StringComparer.Ordinal)]
            : options.Forward;
        return new ClusterTarget(options with { Forward = forward }) { PlanSource = plan };
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The plan's scenarios were given as objects without a <see cref="PlanSource"/>, or its load cannot be split across the workers.</exception>
    /// <exception cref="DistributedRunException">The workers could not be found, reached or kept; the message says what was seen.</exception>
    public Task<LoadResult> RunAsync(RunPlan plan, RunObservers observers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(observers);
        return DistributedRunner.RunAsync(plan, Options, PlanSource, observers, cancellationToken);
    }
}
