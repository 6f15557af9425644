namespace LoadKit.Cli.Init;

/// <summary>
/// The files <c>loadkit init</c> writes: those of the <c>dotnet new loadkit-nunit</c> template
/// (src/LoadKit.Templates/content), embedded, so the command and the template cannot drift apart.
/// </summary>
internal static class StarterFiles
{
    /// <summary>The template's project name (its <c>sourceName</c>), replaced by the one chosen, as <c>dotnet new</c> does.</summary>
    public const string ProjectName = "LoadKit.LoadTests";

    /// <summary>The LoadKit package version in <see cref="Project"/>, replaced by the tool's own (as packing the template does).</summary>
    public const string VersionToken = "LOADKIT_VERSION";

    public static string Plan => Read("plan.yaml");

    public static string Project => Read("LoadKit.LoadTests.csproj");

    public static string Tests => Read("LoadTests.cs");

    private static string Read(string file)
    {
        var name = "LoadKit.Cli.Starter." + file;
        using var stream = typeof(StarterFiles).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The starter file resource '{name}' is missing from {typeof(StarterFiles).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
