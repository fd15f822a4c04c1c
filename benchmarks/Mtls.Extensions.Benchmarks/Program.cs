using BenchmarkDotNet.Running;

if (args.Length > 0 && args[0] == "breakdown")
{
    return Mtls.Extensions.Benchmarks.HandshakeBreakdown.Run(args);
}

BenchmarkSwitcher.FromAssembly(typeof(Mtls.Extensions.Benchmarks.ValidatorBenchmarks).Assembly).Run(args);
return 0;
