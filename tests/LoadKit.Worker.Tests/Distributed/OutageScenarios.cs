using System.Diagnostics;

namespace LoadKit.Worker.Tests.Distributed;

/// <summary>
/// Scenario factories for the outage tests. <see cref="GatedSteady"/> holds a worker's preparation until the test lets
/// it go, so the test can take etcd away while the workers prepare.
/// </summary>
public static class OutageScenarios
{
    /// <summary>
    /// <c>FOLDER|PID</c>: a worker (any process but the controller, PID) that builds <see cref="GatedSteady"/> writes
    /// <c>FOLDER/ready-&lt;its PID&gt;</c>, then waits (at most a minute) for <c>FOLDER/go</c>.
    /// </summary>
    public const string GateVariable = "LOADKIT_TEST_GATE";

    /// <summary>As <see cref="DistributedScenarios.Steady600"/> (600 arrivals a second for 12 s), built behind the gate.</summary>
    public static Scenario GatedSteady()
    {
        if (Environment.GetEnvironmentVariable(GateVariable)?.Split('|') is [var folder, var controller]
            && controller != Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            File.WriteAllText(Path.Combine(folder, $"ready-{Environment.ProcessId}"), "");
            var go = Path.Combine(folder, "go");
            var clock = Stopwatch.StartNew();
            while (!File.Exists(go) && clock.Elapsed < TimeSpan.FromMinutes(1))
            {
                Thread.Sleep(20); // a bounded poll of a file the test writes
            }
        }

        return DistributedScenarios.Steady600();
    }
}
