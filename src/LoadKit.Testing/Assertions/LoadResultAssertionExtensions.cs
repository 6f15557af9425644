namespace LoadKit.Testing;

/// <summary>Entry point of the FluentAssertions gates on a <see cref="LoadResult"/>.</summary>
public static class LoadResultAssertionExtensions
{
    /// <summary>Starts assertions on <paramref name="result"/>, e.g. <c>result.Should().HaveStep("pay").WithPercentile(95).Below(...)</c>.</summary>
    public static LoadResultAssertions Should(this LoadResult result) => new(result);
}
