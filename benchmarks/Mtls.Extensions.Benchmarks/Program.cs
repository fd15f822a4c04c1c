using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Mtls.Extensions.Benchmarks.ValidatorBenchmarks).Assembly).Run(args);
