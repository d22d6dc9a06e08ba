using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using MusicGen.Core.Tokenization;
using MusicGen.Inference.Sampling;

namespace MusicGen.Inference.Tests;

/// <summary>
/// BenchmarkDotNet micro-benchmark of one sampling step over a 512-token vocabulary (the engine's per-token work
/// besides the model). Runs only when MUSICGEN_RUN_BDN=1 (it takes about a minute):
/// MUSICGEN_RUN_BDN=1 dotnet test tests/MusicGen.Inference.Tests -c Release --filter SamplingStepMicroBenchmark
/// Results: BenchmarkDotNet.Artifacts/results/*.md under the test's working folder.
/// </summary>
[MemoryDiagnoser]
public class SamplerBenchmarks
{
    private float[] _logits = [];
    private int[] _history = [];
    private TokenSampler _greedy = null!, _topK = null!, _topP = null!, _full = null!;
    private ITokenGrammar _grammar = null!;

    [GlobalSetup]
    public void Setup()
    {
        var tokenizer = BenchPackageWriter.Vocabulary512();
        var rng = new Random(1);
        _logits = [.. Enumerable.Range(0, 512).Select(_ => (float)(rng.NextDouble() * 8 - 4))];
        _history = [.. Enumerable.Range(0, 256).Select(_ => rng.Next(3, 512))];
        _greedy = new TokenSampler(new SamplingOptions { Greedy = true }, 512, 1, 2);
        _topK = new TokenSampler(new SamplingOptions { TopK = 40 }, 512, 1, 2);
        _topP = new TokenSampler(new SamplingOptions { TopP = 0.95f }, 512, 1, 2);
        _full = new TokenSampler(new SamplingOptions { TopK = 40, TopP = 0.95f, MinP = 0.02f, RepetitionPenalty = 1.1f, NoRepeatNgramSize = 4 }, 512, 1, 2);
        _grammar = tokenizer.CreateGrammar();
        _grammar.Reset();
        _grammar.Accept(tokenizer.Bos);
    }

    [Benchmark(Baseline = true)]
    public int Greedy() => _greedy.Next(_logits, _history, null);

    [Benchmark]
    public int TopK40() => _topK.Next(_logits, _history, null);

    [Benchmark]
    public int TopP095() => _topP.Next(_logits, _history, null);

    [Benchmark]
    public int AllFiltersAndGrammar() => _full.Next(_logits, _history, _grammar);
}

public sealed class SamplingStepMicroBenchmark
{
    [Fact]
    public void Run()
    {
        if (Environment.GetEnvironmentVariable("MUSICGEN_RUN_BDN") != "1") return;
        var config = ManualConfig.CreateMinimumViable()
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        var summary = BenchmarkRunner.Run<SamplerBenchmarks>(config);
        Assert.False(summary.HasCriticalValidationErrors);
    }
}
