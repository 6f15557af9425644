namespace LoadKit.Cli.Init;

/// <summary>The files <c>loadkit init</c> writes: a plan to start from, and an NUnit load-test project around one.</summary>
internal static class StarterFiles
{
    /// <summary>The project name in <see cref="Project"/> and <see cref="Tests"/>, replaced by the one chosen.</summary>
    public const string ProjectName = "LoadKit.LoadTests";

    /// <summary>The LoadKit package version in <see cref="Project"/>, replaced by the tool's own.</summary>
    public const string VersionToken = "LOADKIT_VERSION";

    public const string Plan = """
        # yaml-language-server: $schema=plan.schema.json
        # A plan to start from: point http.baseAddress at your service and describe its requests.
        #   loadkit validate plan.yaml                 every problem at once, with its line and column
        #   loadkit run plan.yaml --profile smoke      a short run: summary, reports, exit code 1 if a threshold fails
        #   loadkit run plan.yaml                      the full load
        # Every key: docs/plan-files.md; plan.schema.json (loadkit schema) lets an editor complete and check them.
        http:
          baseAddress: http://127.0.0.1:5000     # or leave it out and set LOADKIT_HTTP_BASE_ADDRESS
        variables:
          term: shoes
        scenarios:
          - name: browse
            steps:
              - name: home
                request: { url: / }
                checks:
                  - status: 200
              - think: { min: 1s, max: 3s }
              - name: search
                request:
                  url: /search
                  query: { q: "{{term}}" }
                checks:
                  - status: [200, 404]
            load:
              - rampUsers: { to: 10, during: 30s }
              - constantUsers: { users: 10, during: 1m }
            smokeLoad:
              - iterationsPerUser: { users: 1, iterations: 2 }
            thresholds:
              - { metric: p95, below: 500ms }
              - { metric: failureRate, below: 0.01 }
        """;

    public const string Project = """
        <Project Sdk="Microsoft.NET.Sdk">
          <!-- Written by 'loadkit init tests'. dotnet test runs the load tests (the smoke profile: LOADKIT_PROFILE=smoke). -->
          <PropertyGroup>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
            <IsPackable>false</IsPackable>
            <IsTestProject>true</IsTestProject>
            <LoadKitVersion>LOADKIT_VERSION</LoadKitVersion>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="LoadKit.Testing" Version="$(LoadKitVersion)" />
            <PackageReference Include="LoadKit.PlanFiles" Version="$(LoadKitVersion)" />
            <PackageReference Include="FluentAssertions" Version="6.12.0" />
            <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.11.0" />
            <PackageReference Include="NUnit" Version="4.6.1" />
            <PackageReference Include="NUnit3TestAdapter" Version="6.3.1" />
          </ItemGroup>
          <ItemGroup>
            <!-- The plan travels with the test assembly, also to workers in a distributed run. -->
            <None Update="plan.yaml" CopyToOutputDirectory="PreserveNewest" />
            <None Update="plan.schema.json" CopyToOutputDirectory="Never" />
          </ItemGroup>
        </Project>
        """;

    public const string Tests = """
        using FluentAssertions;
        using LoadKit;
        using LoadKit.Testing;
        using NUnit.Framework;

        namespace LoadKit.LoadTests;

        /// <summary>Load tests: the same scenario written in C#, and read from plan.yaml. dotnet test runs both.</summary>
        public class LoadTests
        {
            /// <summary>The address of the service under test: LOADKIT_HTTP_BASE_ADDRESS, or the plan's.</summary>
            private static Uri Service => new(Environment.GetEnvironmentVariable(HttpSettings.BaseAddressVariable) is { Length: > 0 } address ? address : "http://127.0.0.1:5000");

            /// <summary>A scenario factory: workers call it in this assembly to build the same scenario in a distributed run.</summary>
            public static Scenario Browse() =>
                Scenario.Create("browse-csharp")
                    .WithHttp(new HttpSettings { BaseAddress = Service })
                    .Step("home", Http.Get("/"))
                    .ThinkTime(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3))
                    .Step("search", Http.Get("/search").WithQuery("q", "shoes").Check(HttpCheck.StatusIsOneOf(200, 404)))
                    .WithLoad(Load.RampUsers(to: 10, during: TimeSpan.FromSeconds(30)), Load.ConstantUsers(10, during: TimeSpan.FromMinutes(1)))
                    .WithSmokeLoad(Load.IterationsPerUser(1, 2))
                    .Build();

            /// <summary>The plan's scenario, by a factory too, so it can run on workers as well.</summary>
            public static Scenario BrowsePlan() => PlanFile.Load("plan.yaml").GetScenario("browse");

            [Test]
            public async Task Browse_meets_its_SLO()
            {
                LoadResult result = await LoadTest.RunAsync(Browse);

                result.Should().HaveStep("search").WithPercentile(95).Below(TimeSpan.FromMilliseconds(500));
                result.Should().HaveFailureRateBelow(0.01);
            }

            [Test]
            public async Task Browse_plan_meets_its_thresholds()
            {
                LoadResult result = await LoadTest.RunAsync(BrowsePlan);

                result.Should().HaveFailureRateBelow(0.01);
                result.Thresholds.Should().OnlyContain(t => t.Passed);
            }
        }
        """;
}
