using BenchmarkDotNet.Running;
using BrazeFunctions.Benchmarks;

BenchmarkSwitcher.FromAssembly(typeof(RenderBenchmarks).Assembly).Run(args, RenderBenchmarks.CreateConfig());
