using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/LoadKit.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(LoadKit.Benchmarks.HttpStepBenchmarks).Assembly).Run(args);
