using System.Collections.Concurrent;
using NUnit.Framework;

namespace LoadKit.Testing;

public static partial class LoadTest
{
    /// <summary>
    /// The environment variable that names the baseline file (the NUnit run parameter is <c>LoadKit.Baseline</c>;
    /// the variable wins). It may contain <see cref="TestNamePlaceholder"/>.
    /// </summary>
    public const string BaselineVariable = "LOADKIT_BASELINE";

    /// <summary>
    /// The environment variable that names a file to save each run's result to, as the next run's baseline (the NUnit
    /// run parameter is <c>LoadKit.BaselineSave</c>). It may contain <see cref="TestNamePlaceholder"/>; it may be the
    /// same file as <see cref="BaselineVariable"/>, which is then read before it is replaced.
    /// </summary>
    public const string BaselineSaveVariable = "LOADKIT_BASELINE_SAVE";

    /// <summary>
    /// In a baseline path, stands for the running test's full name (characters other than letters, digits,
    /// <c>.</c>, <c>-</c> and <c>_</c> become <c>_</c>), so each test keeps its own file: <c>baselines/{test}.json</c>.
    /// </summary>
    public const string TestNamePlaceholder = "{test}";

    private static readonly Lazy<BaselineSettings> BoundBaselineSettings = new(() => BaselineSettings.Bind(
        Environment.GetEnvironmentVariable, name => TestContext.Parameters.Get(name)));

    private static readonly ConcurrentDictionary<string, Lazy<Baseline>> Baselines = new(StringComparer.Ordinal);

    /// <summary>
    /// The baseline of the running test, from the file that <see cref="BaselineVariable"/> (or the run parameter
    /// <c>LoadKit.Baseline</c>) names; read once per file and test process. When no file is configured, or the file
    /// does not exist yet (a CI's first run), the baseline has no result: regression gates then pass and write a line
    /// to the test output saying there was nothing to compare with.
    /// </summary>
    /// <exception cref="InvalidDataException">The file exists but is not a LoadKit result; the message names it and the setting.</exception>
    public static Baseline GetBaseline() => BoundBaselineSettings.Value.Read(TestContext.CurrentContext.Test.FullName, Baselines);

    /// <summary>Saves the result as the next baseline when <see cref="BaselineSaveVariable"/> (or its run parameter) names a file.</summary>
    private static void SaveBaselineIfAsked(LoadResult result) =>
        BoundBaselineSettings.Value.SaveIfAsked(result, TestContext.CurrentContext.Test.FullName, Baselines, TestContext.Out);
}
