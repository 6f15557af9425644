using System.Text.Json;
using System.Text.Json.Serialization;

namespace LoadKit;

/// <summary>
/// The result of a run: per scenario, per step and per second. Immutable, and serialisable to JSON without loss
/// (histograms included), so results of several processes can be merged exactly and saved as baselines.
/// </summary>
/// <param name="StartedAt">When the run started (UTC).</param>
/// <param name="EndedAt">When the run ended (UTC).</param>
/// <param name="Cancelled">True when the caller cancelled the run: the statistics cover what ran until then.</param>
/// <param name="Scenarios">One result per scenario.</param>
public sealed partial record LoadResult(
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt,
    bool Cancelled,
    IReadOnlyList<ScenarioResult> Scenarios)
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The version of the JSON format written by <see cref="ToJson"/>.</summary>
    public int FormatVersion { get; init; } = 1;

    /// <summary>The workers of a distributed run, one entry each (empty for a run in this process).</summary>
    public IReadOnlyList<WorkerResult> Workers { get; init; } = [];

    /// <summary>
    /// In a distributed run, how far apart the workers' load started: the latest start minus the earliest, in the
    /// controller's clock. Null for a run in this process.
    /// </summary>
    public TimeSpan? StartSkew { get; init; }

    /// <summary>
    /// In a distributed run, how far apart the workers' first calls began (<see cref="WorkerResult.FirstCallAt"/>): the
    /// latest minus the earliest, in the controller's clock, among the workers that made one. Closer than
    /// <see cref="StartSkew"/> to when the load reached the target: it includes what each worker did between its start
    /// and its first request. Null for a run in this process, or when fewer than two workers made a call.
    /// </summary>
    public TimeSpan? FirstCallSpread { get; init; }

    /// <summary>
    /// The health of each process that generated load (CPU, memory, GC, thread-pool queue per second): one in a local
    /// run, one per worker in a distributed run, each kept apart, never averaged.
    /// </summary>
    public IReadOnlyList<GeneratorHealth> Generators { get; init; } = [];

    /// <summary>What the reader must know to trust the numbers: lost workers, load moved to others, parts not run.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Each threshold of the run and its scenarios, and how it fared.</summary>
    public IReadOnlyList<ThresholdOutcome> Thresholds { get; init; } = [];

    /// <summary>The threshold whose crossing stopped the run early; null when none did.</summary>
    [JsonIgnore]
    public ThresholdOutcome? StoppedBy => Thresholds.FirstOrDefault(t => t.StoppedRunAt is not null);

    /// <summary>How long the run took.</summary>
    [JsonIgnore]
    public TimeSpan Duration => EndedAt - StartedAt;

    /// <summary>The result of the scenario named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No scenario has that name; the message lists the names there are.</exception>
    public ScenarioResult GetScenario(string name) =>
        Scenarios.FirstOrDefault(s => s.Name == name)
        ?? throw new KeyNotFoundException(
            $"The run has no scenario '{name}'; its scenarios are: {string.Join(", ", Scenarios.Select(s => $"'{s.Name}'"))}.");

    /// <summary>The statistics of the step named <paramref name="name"/>, in whichever scenario has it.</summary>
    /// <exception cref="KeyNotFoundException">No scenario has such a step.</exception>
    /// <exception cref="InvalidOperationException">More than one scenario has such a step: use <see cref="GetScenario"/> first.</exception>
    public StepStats GetStep(string name)
    {
        var matches = Scenarios.Where(s => s.Steps.Any(step => step.Name == name)).ToArray();
        return matches.Length switch
        {
            1 => matches[0].GetStep(name),
            0 => throw new KeyNotFoundException(
                $"No scenario of the run has a step '{name}'; the steps are: {string.Join(", ", Scenarios.SelectMany(s => s.Steps).Select(s => $"'{s.Name}'"))}."),
            _ => throw new InvalidOperationException(
                $"Step '{name}' is in scenarios {string.Join(", ", matches.Select(s => $"'{s.Name}'"))}; pick one with GetScenario(name).GetStep(\"{name}\")."),
        };
    }

    /// <summary>Serialises the result to JSON (histograms encoded in HdrHistogram's compressed format).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads a result written by <see cref="ToJson"/>.</summary>
    /// <exception cref="JsonException">The text is not a LoadKit result.</exception>
    public static LoadResult FromJson(string json) =>
        JsonSerializer.Deserialize<LoadResult>(json, JsonOptions)
        ?? throw new JsonException("The JSON text is 'null', not a LoadKit result.");
}
