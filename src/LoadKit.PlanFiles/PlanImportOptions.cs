namespace LoadKit;

/// <summary>What <see cref="PlanImport"/> keeps of a recording or collection.</summary>
public sealed record PlanImportOptions
{
    /// <summary>
    /// The hosts whose requests a HAR import keeps (<c>shop.example</c>, or <c>127.0.0.1:5000</c> for one port); the
    /// others are left out and listed. Default: empty, the host of the first page recorded (third-party hosts such as
    /// analytics and CDNs are not the system under test).
    /// </summary>
    public IReadOnlyList<string> Hosts { get; init; } = [];

    /// <summary>Whether a HAR import keeps static resources (stylesheets, scripts, images, fonts, media). Default false: they are listed as left out.</summary>
    public bool IncludeStaticResources { get; init; }

    /// <summary>
    /// A Postman environment file (exported from Postman's Environments) whose enabled values become the plan's
    /// variables too, over the collection's of the same name, as Postman gives them precedence. Default: none.
    /// </summary>
    public string? PostmanEnvironment { get; init; }

    /// <summary>The scenario's name. Default: the collection's name, or the recorded site's host.</summary>
    public string? ScenarioName { get; init; }
}
