using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/LoadKit.Benchmarks -- --filter '*'
// A quick check that everything runs (a few invocations, numbers not meaningful): add --job dry.
BenchmarkSwitcher.FromAssembly(typeof(LoadKit.Benchmarks.HttpStepBenchmarks).Assembly).Run(args);
