using LoadKit.Display;
using LoadKit.Scenarios;
using LoadKit.Validation;
using LoadKit.Workload;

namespace LoadKit;

/// <summary>
/// Builds a <see cref="Scenario"/>. Settings are only recorded here; <see cref="Build"/> checks them all and
/// reports every problem at once. A builder builds once.
/// </summary>
public sealed class ScenarioBuilder
{
    private readonly string _name;
    private readonly TaskBuilder _steps;
    private readonly List<TaskBuilder> _tasks = [];
    private readonly List<LoadPhase> _load = [];
    private readonly List<LoadPhase> _warmUp = [];
    private readonly List<LoadPhase> _smokeLoad = [];
    private readonly List<ValidationProblem> _problems = [];
    private readonly List<DataFeed> _usedFeeds = [];
    private readonly List<Threshold> _thresholds = [];
    private readonly List<ScenarioRequirement> _requirements = [];
    private Func<Session, CancellationToken, ValueTask>? _init;
    private Func<Session, CancellationToken, ValueTask>? _cleanup;
    private TimeSpan _gracefulStop = Scenario.DefaultGracefulStop;
    private HttpSettings _http = new();
    private TimeSpan _defaultStepTimeout = Scenario.DefaultStepTimeout;
    private TimeSpan? _pacing;
    private bool _built;

    internal ScenarioBuilder(string name)
    {
        _name = name ?? "";
        _steps = new TaskBuilder(_name, 1);
    }

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
        _steps.Step(name, action, timeout);
        return this;
    }

    /// <summary>
    /// Adds a step that sends <paramref name="request"/>: it fails on a non-2xx status (unless a status check says
    /// otherwise) or a failed check, and stores what the request extracts in the VU's session.
    /// </summary>
    public ScenarioBuilder Step(string name, HttpCall request, TimeSpan? timeout = null)
    {
        ThrowIfBuilt();
        _steps.Step(name, request, timeout);
        return this;
    }

    /// <summary>Sets how the scenario's HTTP requests connect: base address, HTTP version, per-VU or shared connections.</summary>
    public ScenarioBuilder WithHttp(HttpSettings settings)
    {
        ThrowIfBuilt();
        _http = settings ?? throw new ArgumentNullException(nameof(settings));
        return this;
    }

    /// <summary>Adds a fixed pause at this point of the iteration (between the steps before and after it).</summary>
    public ScenarioBuilder ThinkTime(TimeSpan duration) => ThinkTime(LoadKit.ThinkTime.Fixed(duration));

    /// <summary>Adds a pause drawn uniformly between <paramref name="min"/> and <paramref name="max"/> at this point of the iteration.</summary>
    public ScenarioBuilder ThinkTime(TimeSpan min, TimeSpan max) => ThinkTime(LoadKit.ThinkTime.Uniform(min, max));

    /// <summary>Adds a pause at this point of the iteration (see <see cref="LoadKit.ThinkTime"/> for the distributions).</summary>
    public ScenarioBuilder ThinkTime(ThinkTime thinkTime)
    {
        ThrowIfBuilt();
        _steps.ThinkTime(thinkTime);
        return this;
    }

    /// <summary>
    /// Reads the VU's next record of <paramref name="feed"/> into its session at this point of the iteration (before
    /// the next step), as <see cref="TaskBuilder.Feed"/>. The feed's file is read by <see cref="Build"/>.
    /// </summary>
    public ScenarioBuilder Feed(DataFeed feed)
    {
        ThrowIfBuilt();
        _steps.Feed(feed);
        return this;
    }

    /// <summary>
    /// Declares a feed that steps read themselves with <see cref="DataFeed.ReadInto(StepContext)"/>, so the run binds it
    /// (to the worker's slice in a distributed run) and <see cref="Build"/> reads its file. Feeds in the step chain
    /// need no declaration.
    /// </summary>
    public ScenarioBuilder UseFeed(DataFeed feed)
    {
        ThrowIfBuilt();
        if (feed is null)
        {
            _problems.Add(new($"UseFeed[{_usedFeeds.Count}]", "null", "a DataFeed"));
        }
        else
        {
            _usedFeeds.Add(feed);
        }

        return this;
    }

    /// <summary>
    /// Adds a task to the scenario's weighted mix: each iteration of each VU picks one task at random, with
    /// probability <paramref name="weight"/> / (sum of the weights), and runs its steps. A scenario has either
    /// tasks or steps of its own. Step names are unique across all tasks, since statistics are kept per step.
    /// </summary>
    /// <param name="name">The task's name, used in <see cref="ScenarioResult.Tasks"/>.</param>
    /// <param name="weight">0 or more; at least one task needs a weight above 0.</param>
    /// <param name="define">Adds the task's steps, think times and pre-work.</param>
    public ScenarioBuilder WithTask(string name, double weight, Action<TaskBuilder> define)
    {
        ThrowIfBuilt();
        var task = new TaskBuilder(name, weight);
        if (define is null)
        {
            _problems.Add(new($"Tasks[{_tasks.Count}].Define", "null", "an action that adds the task's steps"));
        }
        else
        {
            define(task);
        }

        _tasks.Add(task);
        return this;
    }

    /// <summary>
    /// Starts each VU's iterations every <paramref name="interval"/> (closed models only): a VU that finishes early
    /// waits for its next slot; an iteration that cannot start on time (the one before overran) starts at once and
    /// is counted late, and its lateness is measured as scheduling lag.
    /// </summary>
    public ScenarioBuilder WithPacing(TimeSpan interval)
    {
        ThrowIfBuilt();
        _pacing = interval;
        return this;
    }

    /// <summary>Sets the load phases, run one after the other. Replaces phases set before.</summary>
    public ScenarioBuilder WithLoad(params LoadPhase[] phases) => Replace(_load, phases);

    /// <summary>
    /// Sets the load of the smoke profile: what the scenario runs when the run's options select
    /// <see cref="LoadProfile.Smoke"/> (environment variable <c>LOADKIT_PROFILE=smoke</c>, or the NUnit run
    /// parameter <c>LoadKit.Profile</c>), typically a few VUs for a few seconds on a developer's machine.
    /// Without it, the smoke profile runs the full load. Replaces smoke phases set before.
    /// </summary>
    public ScenarioBuilder WithSmokeLoad(params LoadPhase[] phases) => Replace(_smokeLoad, phases);

    /// <summary>
    /// Sets warm-up phases, run before the load phases (and continuing into them without a gap when they are of
    /// the same kind). What they measure is reported in <see cref="ScenarioResult.WarmUp"/> and kept out of the
    /// statistics that gates check. Replaces warm-up phases set before.
    /// </summary>
    public ScenarioBuilder WithWarmUp(params LoadPhase[] phases) => Replace(_warmUp, phases);

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

    /// <summary>
    /// Adds pass/fail limits on the scenario's figures, e.g. <c>Threshold.Step("pay").Percentile(95).Below(...)</c>.
    /// They are evaluated every second while the scenario runs and at the end; the result lists each outcome, and one
    /// marked <see cref="Threshold.AbortOnFail"/> stops the run when crossed.
    /// </summary>
    public ScenarioBuilder WithThresholds(params Threshold[] thresholds)
    {
        ThrowIfBuilt();
        ArgumentNullException.ThrowIfNull(thresholds);
        foreach (var threshold in thresholds)
        {
            if (threshold is null)
            {
                _problems.Add(new($"Thresholds[{_thresholds.Count}]", "null", "a threshold from Threshold.*"));
                continue;
            }

            _thresholds.Add(threshold);
        }

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

        Check.Duration("StepTimeout", _defaultStepTimeout, problems);
        var tasks = ValidateTasks(problems);
        ValidateLoad(problems);
        Check.Duration("GracefulStop", _gracefulStop, problems, allowZero: true);
        var feeds = _usedFeeds.Concat(tasks.SelectMany(t => t.Feeds)).Distinct().ToArray();
        foreach (var feed in feeds)
        {
            feed.Load($"Feed '{feed.Name}'", problems);
        }

        ValidateHttp(tasks, problems);
        var stepNames = tasks.SelectMany(t => t.StepNames).Distinct().ToArray();
        for (var i = 0; i < _thresholds.Count; i++)
        {
            _thresholds[i].Validate($"Thresholds[{i}]", stepNames, problems);
        }

        if (problems.Count > 0)
        {
            throw new ScenarioValidationException(_name, problems);
        }

        _built = true;
        var steps = new List<StepDefinition>();
        var definitions = tasks.Select(t => t.Build(steps.Count, _defaultStepTimeout, steps)).ToArray();
        return new Scenario(
            _name, [.. steps], [.. definitions], _tasks.Count > 0, _init, _cleanup, _pacing,
            [.. _warmUp], [.. _load], [.. _smokeLoad], _gracefulStop, _defaultStepTimeout, _http)
        {
            Feeds = [.. feeds],
            Thresholds = [.. _thresholds],
            Requirements = [.. _requirements],
        };
    }

    /// <summary>
    /// Adds what every process running the scenario must provide (for step types that need something of the machine,
    /// such as a browser); one of a name replaces an earlier one. Checked before a process starts its share.
    /// </summary>
    public ScenarioBuilder Require(ScenarioRequirement requirement)
    {
        ArgumentNullException.ThrowIfNull(requirement);
        ThrowIfBuilt();
        _requirements.RemoveAll(r => r.Name == requirement.Name);
        _requirements.Add(requirement);
        return this;
    }

    private void ValidateHttp(List<TaskBuilder> tasks, List<ValidationProblem> problems)
    {
        _http.Validate(problems);
        if (_http.BaseAddress is null && _http.Handler is null && Environment.GetEnvironmentVariable(HttpSettings.BaseAddressVariable) is { Length: > 0 } fromEnvironment
            && Urls.BaseAddressProblem(fromEnvironment) is { } problem)
        {
            problems.Add(new(HttpSettings.BaseAddressVariable, $"'{fromEnvironment}'", $"{problem}; allowed: {Urls.BaseAddressAllowed}"));
            return;
        }

        var baseAddress = _http.ResolveBaseAddress();

        if (baseAddress is not null)
        {
            return;
        }

        foreach (var request in tasks.SelectMany(t => t.HttpRequests))
        {
            if (!Urls.IsAbsoluteHttp(request.Path.Text))
            {
                problems.Add(new("Http.BaseAddress", "not set", $"a base address for the relative path of {request}: WithHttp(new HttpSettings {{ BaseAddress = ... }}) or the {HttpSettings.BaseAddressVariable} environment variable"));
                return;
            }
        }
    }

    private List<TaskBuilder> ValidateTasks(List<ValidationProblem> problems)
    {
        var stepNames = new HashSet<string>(StringComparer.Ordinal);
        if (_tasks.Count == 0)
        {
            _steps.Validate("", stepNames, problems);
            return [_steps];
        }

        if (_steps.StepCount > 0)
        {
            problems.Add(new("Steps", $"{_steps.StepCount} outside a task", "a scenario with tasks has its steps in tasks; move them into a WithTask"));
        }

        var taskNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < _tasks.Count; i++)
        {
            var task = _tasks[i];
            if (string.IsNullOrWhiteSpace(task.Name) || !taskNames.Add(task.Name))
            {
                problems.Add(new($"Tasks[{i}].Name", $"'{task.Name}'", "a non-empty name not used by another task"));
            }

            if (!(task.Weight >= 0) || double.IsInfinity(task.Weight))
            {
                problems.Add(new($"Tasks[{i}].Weight", task.Weight.ToString(System.Globalization.CultureInfo.InvariantCulture), "a finite number, 0 or more"));
            }

            task.Validate($"Tasks[{i}].", stepNames, problems);
        }

        if (!_tasks.Any(t => t.Weight > 0))
        {
            problems.Add(new("Tasks.Weight", string.Join(", ", _tasks.Select(t => t.Weight.ToString(System.Globalization.CultureInfo.InvariantCulture))),
                "at least one task with a weight above 0"));
        }

        return _tasks;
    }

    private void ValidateLoad(List<ValidationProblem> problems)
    {
        if (_load.Count == 0)
        {
            problems.Add(new("Load", "none", "at least one phase, e.g. WithLoad(Load.ConstantUsers(10, TimeSpan.FromSeconds(30)))"));
        }

        ValidatePhases("WarmUp", _warmUp, problems);
        ValidatePhases("Load", _load, problems);
        ValidatePhases("SmokeLoad", _smokeLoad, problems);
        if (_pacing is { } pacing)
        {
            Check.Duration("Pacing", pacing, problems);
            var openPhases = new[] { ("WarmUp", _warmUp), ("Load", _load), ("SmokeLoad", _smokeLoad) }
                .SelectMany(list => list.Item2.Select((phase, i) => (Setting: $"{list.Item1}[{i}]", phase)))
                .Where(p => p.phase is ArrivalRatePhase)
                .Select(p => p.Setting)
                .ToArray();
            if (openPhases.Length > 0)
            {
                problems.Add(new("Pacing", Format.Duration(pacing),
                    $"pacing applies to closed-model phases only; {string.Join(", ", openPhases)} set an arrival rate, which already sets when iterations start"));
            }
        }
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

    private ScenarioBuilder Replace(List<LoadPhase> target, LoadPhase[] phases)
    {
        ThrowIfBuilt();
        target.Clear();
        if (phases is not null)
        {
            target.AddRange(phases);
        }

        return this;
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
