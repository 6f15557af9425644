using System.Collections.Immutable;

namespace LoadKit;

/// <summary>
/// Builds a <see cref="Scenario"/>. Settings are only recorded here; <see cref="Build"/> checks them all and
/// reports every problem at once. A builder builds once.
/// </summary>
public sealed class ScenarioBuilder
{
    private readonly string _name;
    private readonly List<StepDefinition> _steps = [];
    private readonly List<(int Position, ThinkTime ThinkTime)> _thinkTimes = [];
    private readonly List<LoadPhase> _load = [];
    private readonly List<LoadPhase> _warmUp = [];
    private readonly List<LoadPhase> _smokeLoad = [];
    private readonly List<ValidationProblem> _problems = [];
    private Func<Session, CancellationToken, ValueTask>? _init;
    private Func<Session, CancellationToken, ValueTask>? _cleanup;
    private TimeSpan _gracefulStop = Scenario.DefaultGracefulStop;
    private TimeSpan _defaultStepTimeout = Scenario.DefaultStepTimeout;
    private bool _built;

    internal ScenarioBuilder(string name) => _name = name ?? "";

    /// <summary>
    /// Runs <paramref name="init"/> once per VU before its first iteration, for example to log in and keep the
    /// token in the session. A VU whose init fails runs no iterations; the failure is counted in the result.
    /// </summary>
    public ScenarioBuilder WithInit(Func<Session, CancellationToken, ValueTask> init)
    {
        ThrowIfBuilt();
        _init = init;
        if (init is null)
        {
            _problems.Add(new("Init", "null", "a function of (Session, CancellationToken)"));
        }

        return this;
    }

    /// <summary>
    /// Runs <paramref name="cleanup"/> once per initialised VU after the last phase. It gets the scenario's step
    /// timeout; a cleanup that ignores its token is abandoned soon after, so it cannot hold up the run.
    /// </summary>
    public ScenarioBuilder WithCleanup(Func<Session, CancellationToken, ValueTask> cleanup)
    {
        ThrowIfBuilt();
        _cleanup = cleanup;
        if (cleanup is null)
        {
            _problems.Add(new("Cleanup", "null", "a function of (Session, CancellationToken)"));
        }

        return this;
    }

    /// <summary>
    /// Adds a step. It succeeds when <paramref name="action"/> returns, fails when it throws or calls
    /// <see cref="StepContext.Fail"/>, and times out after <paramref name="timeout"/>
    /// (default: <see cref="WithStepTimeout"/>, else <see cref="Scenario.DefaultStepTimeout"/>).
    /// A failed or timed-out step ends its iteration; the VU starts the next one.
    /// </summary>
    public ScenarioBuilder Step(string name, Func<StepContext, ValueTask> action, TimeSpan? timeout = null)
    {
        ThrowIfBuilt();
        var index = _steps.Count;
        if (action is null)
        {
            _problems.Add(new($"Steps[{index}].Action", "null", "a function of StepContext"));
        }

        _steps.Add(new StepDefinition(name ?? "", action!, timeout ?? TimeSpan.MinValue));
        return this;
    }

    /// <summary>Adds a fixed pause at this point of the iteration (between the steps before and after it).</summary>
    public ScenarioBuilder ThinkTime(TimeSpan duration) => ThinkTime(LoadKit.ThinkTime.Fixed(duration));

    /// <summary>Adds a pause drawn uniformly between <paramref name="min"/> and <paramref name="max"/> at this point of the iteration.</summary>
    public ScenarioBuilder ThinkTime(TimeSpan min, TimeSpan max) => ThinkTime(LoadKit.ThinkTime.Uniform(min, max));

    /// <summary>Adds a pause at this point of the iteration.</summary>
    public ScenarioBuilder ThinkTime(ThinkTime thinkTime)
    {
        ThrowIfBuilt();
        if (thinkTime is null)
        {
            _problems.Add(new($"ThinkTime[{_thinkTimes.Count}]", "null", "a ThinkTime"));
        }
        else
        {
            _thinkTimes.Add((_steps.Count, thinkTime));
        }

        return this;
    }

    /// <summary>Sets the load phases, run one after the other. Replaces phases set before.</summary>
    public ScenarioBuilder WithLoad(params LoadPhase[] phases)
    {
        ThrowIfBuilt();
        _load.Clear();
        if (phases is not null)
        {
            _load.AddRange(phases);
        }

        return this;
    }

    /// <summary>
    /// Sets the load of the smoke profile: what the scenario runs when the run's options select
    /// <see cref="LoadProfile.Smoke"/> (environment variable <c>LOADKIT_PROFILE=smoke</c>, or the NUnit run
    /// parameter <c>LoadKit.Profile</c>), typically a few VUs for a few seconds on a developer's machine.
    /// Without it, the smoke profile runs the full load. Replaces smoke phases set before.
    /// </summary>
    public ScenarioBuilder WithSmokeLoad(params LoadPhase[] phases)
    {
        ThrowIfBuilt();
        _smokeLoad.Clear();
        if (phases is not null)
        {
            _smokeLoad.AddRange(phases);
        }

        return this;
    }

    /// <summary>
    /// Sets warm-up phases, run before the load phases (and continuing into them without a gap when they are of
    /// the same kind). What they measure is reported in <see cref="ScenarioResult.WarmUp"/> and kept out of the
    /// statistics that gates check. Replaces warm-up phases set before.
    /// </summary>
    public ScenarioBuilder WithWarmUp(params LoadPhase[] phases)
    {
        ThrowIfBuilt();
        _warmUp.Clear();
        if (phases is not null)
        {
            _warmUp.AddRange(phases);
        }

        return this;
    }

    /// <summary>
    /// Sets how long iterations still running when a phase ends may go on before they are cancelled and counted as
    /// interrupted. Default: <see cref="Scenario.DefaultGracefulStop"/>.
    /// </summary>
    public ScenarioBuilder WithGracefulStop(TimeSpan gracefulStop)
    {
        ThrowIfBuilt();
        _gracefulStop = gracefulStop;
        return this;
    }

    /// <summary>Sets the timeout of steps that do not set their own. Default: <see cref="Scenario.DefaultStepTimeout"/>.</summary>
    public ScenarioBuilder WithStepTimeout(TimeSpan timeout)
    {
        ThrowIfBuilt();
        _defaultStepTimeout = timeout;
        return this;
    }

    /// <summary>Checks every setting and returns the immutable scenario.</summary>
    /// <exception cref="ScenarioValidationException">One or more settings are invalid; the message lists all of them.</exception>
    /// <exception cref="InvalidOperationException">The builder has already built a scenario.</exception>
    public Scenario Build()
    {
        ThrowIfBuilt();
        var problems = new List<ValidationProblem>(_problems);
        if (string.IsNullOrWhiteSpace(_name))
        {
            problems.Add(new("Name", $"'{_name}'", "a non-empty name"));
        }

        ValidateSteps(problems);
        ValidateThinkTimes(problems);
        ValidateLoad(problems);
        Check.Duration("GracefulStop", _gracefulStop, problems, allowZero: true);

        if (problems.Count > 0)
        {
            throw new ScenarioValidationException(_name, problems);
        }

        _built = true;
        var steps = _steps
            .Select(s => s with { Timeout = s.Timeout == TimeSpan.MinValue ? _defaultStepTimeout : s.Timeout })
            .ToImmutableArray();
        var thinkTimeBefore = new ThinkTime?[steps.Length + 1];
        foreach (var (position, thinkTime) in _thinkTimes)
        {
            thinkTimeBefore[position] = thinkTime;
        }

        return new Scenario(_name, steps, thinkTimeBefore.ToImmutableArray(), _init, _cleanup, [.. _warmUp], [.. _load], [.. _smokeLoad], _gracefulStop, _defaultStepTimeout);
    }

    private void ValidateSteps(List<ValidationProblem> problems)
    {
        if (_steps.Count == 0)
        {
            problems.Add(new("Steps", "none", "at least one step; add one with Step(name, action)"));
        }

        Check.Duration("StepTimeout", _defaultStepTimeout, problems);

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < _steps.Count; i++)
        {
            var step = _steps[i];
            if (string.IsNullOrWhiteSpace(step.Name))
            {
                problems.Add(new($"Steps[{i}].Name", $"'{step.Name}'", "a non-empty name"));
            }
            else if (!seen.Add(step.Name))
            {
                problems.Add(new($"Steps[{i}].Name", $"'{step.Name}'", "a name not used by another step of this scenario"));
            }

            if (step.Timeout != TimeSpan.MinValue)
            {
                Check.Duration($"Steps[{i}].Timeout", step.Timeout, problems);
            }
        }
    }

    private void ValidateThinkTimes(List<ValidationProblem> problems)
    {
        for (var i = 0; i < _thinkTimes.Count; i++)
        {
            var (position, thinkTime) = _thinkTimes[i];
            thinkTime.Validate($"ThinkTime[{i}]", problems);
            if (i > 0 && _thinkTimes[i - 1].Position == position)
            {
                problems.Add(new($"ThinkTime[{i}]", thinkTime.ToString(),
                    "one think time per position; it follows another think time with no step in between, combine the two"));
            }
        }
    }

    private void ValidateLoad(List<ValidationProblem> problems)
    {
        if (_load.Count == 0)
        {
            problems.Add(new("Load", "none", "at least one phase, e.g. WithLoad(Load.ConstantUsers(10, TimeSpan.FromSeconds(30)))"));
        }

        ValidatePhases("WarmUp", _warmUp, problems);
        ValidatePhases("SmokeLoad", _smokeLoad, problems);
        ValidatePhases("Load", _load, problems);
    }

    private static void ValidatePhases(string setting, List<LoadPhase> phases, List<ValidationProblem> problems)
    {
        for (var i = 0; i < phases.Count; i++)
        {
            if (phases[i] is null)
            {
                problems.Add(new($"{setting}[{i}]", "null", "a phase from Load.*"));
            }
            else
            {
                phases[i].Validate($"{setting}[{i}]", problems);
            }
        }
    }

    private void ThrowIfBuilt()
    {
        if (_built)
        {
            throw new InvalidOperationException(
                $"Scenario '{_name}' has already been built; a ScenarioBuilder builds once. Start a new one with Scenario.Create.");
        }
    }
}
