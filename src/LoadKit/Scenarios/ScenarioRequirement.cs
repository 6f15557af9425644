namespace LoadKit.Scenarios;

/// <summary>
/// Something a scenario needs from each process that runs it (a browser installed, room for its browser users),
/// checked before the process starts its share of the load, locally and on every worker. Added by packages such as
/// LoadKit.Browser through their builder extensions.
/// </summary>
/// <param name="Name">What is required, for messages ("chromium").</param>
/// <param name="Check">
/// Given the most VUs of the scenario this process will run at once, null when the process can run them, otherwise
/// why not and how to fix it (naming the setting, the value and the limit).
/// </param>
/// <param name="Watch">
/// Called when a process starts the scenario; what it returns gives, when the run's notes are made, a note about the
/// requirement over the run (e.g. how many browser pages crashed), or null. Null: no note.
/// </param>
internal sealed record ScenarioRequirement(string Name, Func<int, string?> Check, Func<Func<string?>>? Watch = null);
