using MusicGen.Bench;

namespace MusicGen.Inference.Tests.Bench;

/// <summary>
/// The engine benchmark (<c>musicgen bench</c>) runs every measurement on a tiny package and reports figures that
/// are present and consistent. Not a timing test: no figure is compared with a speed.
/// </summary>
public sealed class EngineBenchmarkTests
{
    [Fact]
    public void Every_measurement_runs_and_is_reported()
    {
        var lines = new List<string>();
        var settings = new BenchmarkSettings
        {
            Tokens = 24, Context = 96, RecomputeSteps = 2, BatchSizes = [1, 8], PrimerTokens = 40,
            WarmUpSeconds = 0.05, LongTokens = 48, Progress = lines.Add,
        };
        var report = EngineBenchmark.Run(TestPackages.Transformer(), new InferenceOptions { ParallelDecodeThreads = 1 }, settings);

        Assert.Contains(lines, l => l == "warmed up");
        foreach (var figure in new[]
        {
            report.FastBatch1TokensPerSecond, report.PortableBatch1TokensPerSecond, report.FastInt8Batch1TokensPerSecond,
            report.FastLongTokensPerSecond, report.PortableLongTokensPerSecond, report.CachedMsPerTokenAtContext,
            report.RecomputeMsPerTokenAtContext, report.TimeToFirstTokenMs, report.MemoryBandwidthGBs, report.CacheBandwidthGBs, report.MatmulGflops,
        })
        {
            Assert.True(double.IsFinite(figure) && figure > 0, $"figure {figure}");
        }

        Assert.Equal(48, report.LongTokens);
        Assert.Equal(96, report.Context);
        Assert.Equal([1, 8], report.Batches.Select(b => b.BatchSize));
        Assert.All(report.Batches, b => Assert.True(b.TokensPerSecond > 0 && b.StepMilliseconds > 0));
        Assert.Equal(0, report.AllocatedBytesPerStep);
        if (Environment.ProcessorCount > 1)
        {
            var all = Assert.NotNull(report.AllCores);
            Assert.Equal(Environment.ProcessorCount, all.Threads);
            Assert.All(new[] { all.Fast, all.Portable, all.FastLong, all.PortableLong, all.FastCpu, all.LatencyP99Ms }, f => Assert.True(double.IsFinite(f) && f > 0, $"figure {f}"));
        }
    }

    [Fact]
    public void The_long_and_all_core_comparisons_can_be_skipped()
    {
        var settings = new BenchmarkSettings { Tokens = 16, Context = 64, RecomputeSteps = 1, BatchSizes = [1], PrimerTokens = 16, WarmUpSeconds = 0, LongTokens = 0, AllCores = false };
        var report = EngineBenchmark.Run(TestPackages.Transformer(), new InferenceOptions(), settings);
        Assert.Equal(0, report.LongTokens);
        Assert.True(double.IsNaN(report.FastLongTokensPerSecond));
        Assert.Null(report.AllCores);
    }
}
