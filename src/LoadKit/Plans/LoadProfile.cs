namespace LoadKit;

/// <summary>Which load a run uses: a scenario's full load, or its smoke load for quick local runs.</summary>
public enum LoadProfile
{
    /// <summary>The load set with <see cref="ScenarioBuilder.WithLoad"/>.</summary>
    Full,

    /// <summary>The load set with <see cref="ScenarioBuilder.WithSmokeLoad"/>, or the full load when a scenario has none.</summary>
    Smoke,
}
