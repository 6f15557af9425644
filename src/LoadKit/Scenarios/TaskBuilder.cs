using System.Collections.Immutable;
using LoadKit.HttpSteps;
using LoadKit.Scenarios;
using LoadKit.Validation;
using LoadKit.WebSockets;

namespace LoadKit;

/// <summary>
/// Defines one task of a scenario's weighted mix: its steps, think times and optional per-VU pre-work
/// (for example a login whose token stays in the session). See <see cref="ScenarioBuilder.WithTask"/>.
/// </summary>
public sealed class TaskBuilder
{
    private readonly List<StepDefinition> _steps = [];
    private readonly List<(int Position, ThinkTime ThinkTime)> _thinkTimes = [];
    private readonly List<ValidationProblem> _problems = [];
    private readonly List<(int Position, DataFeed Feed)> _feeds = [];
    private readonly List<HttpCall> _httpRequests = [];
    private Func<Session, CancellationToken, ValueTask>? _preWork;

    internal TaskBuilder(string name, double weight)
    {
        Name = name ?? "";
        Weight = weight;
    }

    internal string Name { get; }

    internal double Weight { get; }

    internal int StepCount => _steps.Count;

    internal IEnumerable<string> StepNames => _steps.Select(s => s.Name);

    /// <summary>The feeds read in this task's step chain.</summary>
    internal IEnumerable<DataFeed> Feeds => _feeds.Select(f => f.Feed);
    /// <summary>The HTTP requests of this task's steps, to check that relative paths have a base address.</summary>
    internal IReadOnlyList<HttpCall> HttpRequests => _httpRequests;

    /// <summary>
    /// Adds a step. It succeeds when <paramref name="action"/> returns, fails when it throws or calls
    /// <see cref="StepContext.Fail"/>, and times out after <paramref name="timeout"/> (default: the scenario's
    /// step timeout). A failed or timed-out step ends its iteration; the VU starts the next one.
    /// </summary>
    public TaskBuilder Step(string name, Func<StepContext, ValueTask> action, TimeSpan? timeout = null)
    {
        if (action is null)
        {
            _problems.Add(new($"Steps[{_steps.Count}].Action", "null", "a function of StepContext"));
        }
        else if (action.Target is WebSocketConnectStep connect)
        {
            foreach (var problem in connect.Problems)
            {
                _problems.Add(new($"Steps[{_steps.Count}] '{name}'", "WebSocketSteps.Connect", problem));
            }
        }

        _steps.Add(new StepDefinition(name ?? "", action!, timeout ?? TimeSpan.MinValue));
        return this;
    }

    /// <summary>
    /// Adds a step that sends <paramref name="request"/>: it fails on a non-2xx status (unless a status check says
    /// otherwise) or a failed check, and stores what the request extracts in the VU's session.
    /// </summary>
    public TaskBuilder Step(string name, HttpCall request, TimeSpan? timeout = null)
    {
        if (request is null)
        {
            _problems.Add(new($"Steps[{_steps.Count}].Request", "null", "an HTTP request, e.g. Http.Get(\"/path\")"));
            return Step(name, (Func<StepContext, ValueTask>)null!, timeout);
        }

        foreach (var problem in request.Problems)
        {
            _problems.Add(new($"Steps[{_steps.Count}] '{name}'", request.ToString(), problem));
        }

        _httpRequests.Add(request);
        return Step(name, new HttpStepCall(request).SendAsync, timeout);
    }

    /// <summary>Adds a fixed pause at this point of the iteration (between the steps before and after it).</summary>
    public TaskBuilder ThinkTime(TimeSpan duration) => ThinkTime(LoadKit.ThinkTime.Fixed(duration));

    /// <summary>Adds a pause drawn uniformly between <paramref name="min"/> and <paramref name="max"/> at this point of the iteration.</summary>
    public TaskBuilder ThinkTime(TimeSpan min, TimeSpan max) => ThinkTime(LoadKit.ThinkTime.Uniform(min, max));

    /// <summary>Adds a pause at this point of the iteration (see <see cref="LoadKit.ThinkTime"/> for the distributions).</summary>
    public TaskBuilder ThinkTime(ThinkTime thinkTime)
    {
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

    /// <summary>
    /// Reads the VU's next record of <paramref name="feed"/> into its session at this point of the iteration (before
    /// the next step). When a unique feed runs out, the iteration ends here (not counted as a failure) and the
    /// scenario stops gracefully.
    /// </summary>
    public TaskBuilder Feed(DataFeed feed)
    {
        if (feed is null)
        {
            _problems.Add(new($"Feed[{_feeds.Count}]", "null", "a DataFeed from DataFeed.FromCsv, FromJsonLines, FromRecords or FromValues"));
        }
        else
        {
            _feeds.Add((_steps.Count, feed));
        }

        return this;
    }

    /// <summary>
    /// Runs <paramref name="preWork"/> once per VU, the first time the VU picks this task, before its steps (as
    /// Locust/boomer tasks do their pre-work). What it stores in the session stays there. If it fails, that
    /// iteration fails and the VU tries again the next time it picks the task. Bounded by the step timeout.
    /// </summary>
    public TaskBuilder WithPreWork(Func<Session, CancellationToken, ValueTask> preWork)
    {
        _preWork = preWork;
        if (preWork is null)
        {
            _problems.Add(new("PreWork", "null", "a function of (Session, CancellationToken)"));
        }

        return this;
    }

    /// <summary>Checks the task's settings; <paramref name="prefix"/> names it in problems (empty for the scenario's own steps).</summary>
    internal void Validate(string prefix, HashSet<string> stepNames, List<ValidationProblem> problems)
    {
        problems.AddRange(_problems.Select(p => p with { Setting = prefix + p.Setting }));
        if (_steps.Count == 0)
        {
            problems.Add(new(prefix + "Steps", "none", "at least one step; add one with Step(name, action)"));
        }

        for (var i = 0; i < _steps.Count; i++)
        {
            var step = _steps[i];
            if (string.IsNullOrWhiteSpace(step.Name))
            {
                problems.Add(new($"{prefix}Steps[{i}].Name", $"'{step.Name}'", "a non-empty name"));
            }
            else if (!stepNames.Add(step.Name))
            {
                problems.Add(new($"{prefix}Steps[{i}].Name", $"'{step.Name}'", "a name not used by another step of this scenario"));
            }

            if (step.Timeout != TimeSpan.MinValue)
            {
                Check.Duration($"{prefix}Steps[{i}].Timeout", step.Timeout, problems);
            }
        }

        for (var i = 0; i < _thinkTimes.Count; i++)
        {
            var (position, thinkTime) = _thinkTimes[i];
            thinkTime.Validate($"{prefix}ThinkTime[{i}]", problems);
            if (i > 0 && _thinkTimes[i - 1].Position == position)
            {
                problems.Add(new($"{prefix}ThinkTime[{i}]", thinkTime.ToString(),
                    "one think time per position; it follows another think time with no step in between, combine the two"));
            }
        }
    }

    internal TaskDefinition Build(int firstStep, TimeSpan defaultTimeout, List<StepDefinition> allSteps)
    {
        allSteps.AddRange(_steps.Select(s => s with { Timeout = s.Timeout == TimeSpan.MinValue ? defaultTimeout : s.Timeout }));
        var thinkTimeBefore = new ThinkTime?[_steps.Count + 1];
        foreach (var (position, thinkTime) in _thinkTimes)
        {
            thinkTimeBefore[position] = thinkTime;
        }

        var feedsBefore = new DataFeed[]?[_steps.Count + 1];
        foreach (var group in _feeds.GroupBy(f => f.Position))
        {
            feedsBefore[group.Key] = [.. group.Select(f => f.Feed)];
        }

        return new TaskDefinition(Name, Weight, firstStep, _steps.Count, [.. thinkTimeBefore], [.. feedsBefore], _preWork);
    }
}
