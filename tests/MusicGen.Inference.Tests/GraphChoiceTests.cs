using MusicGen.Core.Packaging;
using MusicGen.Inference.Runtime;

namespace MusicGen.Inference.Tests;

/// <summary>
/// Which graph runs on which provider (a pure function, so the CUDA choices are tested here without a GPU), and the
/// fp16 fast graph through the decoder the CUDA path uses, on the CPU provider with host memory.
/// </summary>
public sealed class GraphChoiceTests
{
    private static readonly string[] AllGraphs = [GraphVariants.Portable, GraphVariants.Fast, GraphVariants.FastFp16, GraphVariants.FastInt8];

    private static string Choose(GraphPreference preference, bool cuda, string[] graphs, int headSize = 64) =>
        GraphChoice.Choose(preference, cuda, graphs.Contains, headSize, "pkg");

    [Theory]
    [InlineData(GraphPreference.Auto, false, GraphVariants.Fast)]
    [InlineData(GraphPreference.Auto, true, GraphVariants.FastFp16)]
    [InlineData(GraphPreference.Fast, false, GraphVariants.Fast)]
    [InlineData(GraphPreference.Fast, true, GraphVariants.FastFp16)]
    [InlineData(GraphPreference.FastInt8, false, GraphVariants.FastInt8)]
    [InlineData(GraphPreference.Portable, false, GraphVariants.Portable)]
    [InlineData(GraphPreference.Portable, true, GraphVariants.Portable)]
    public void A_package_with_every_graph_runs_the_fastest_one_for_the_provider(GraphPreference preference, bool cuda, string expected) =>
        Assert.Equal(expected, Choose(preference, cuda, AllGraphs));

    [Fact]
    public void Without_a_graph_for_the_provider_auto_falls_back_to_portable()
    {
        Assert.Equal(GraphVariants.Portable, Choose(GraphPreference.Auto, true, [GraphVariants.Portable, GraphVariants.Fast, GraphVariants.FastInt8]));
        Assert.Equal(GraphVariants.Portable, Choose(GraphPreference.Auto, false, [GraphVariants.Portable, GraphVariants.FastFp16]));
        Assert.Equal(GraphVariants.Portable, Choose(GraphPreference.Auto, false, AllGraphs, headSize: 24)); // CPU GQA needs headSize % 16 == 0
        Assert.Equal(GraphVariants.FastFp16, Choose(GraphPreference.Auto, true, AllGraphs, headSize: 24));  // not on CUDA
    }

    [Fact]
    public void Asking_for_a_graph_the_provider_cannot_run_says_why()
    {
        var e = Assert.Throws<ModelPackageException>(() => Choose(GraphPreference.Fast, true, [GraphVariants.Portable, GraphVariants.Fast]));
        Assert.Contains("fast-fp16", e.Message);
        e = Assert.Throws<ModelPackageException>(() => Choose(GraphPreference.FastInt8, true, AllGraphs));
        Assert.Contains("CPU only", e.Message);
        e = Assert.Throws<ModelPackageException>(() => Choose(GraphPreference.Fast, false, AllGraphs, headSize: 24));
        Assert.Contains("multiple of 16", e.Message);
        e = Assert.Throws<ModelPackageException>(() => Choose(GraphPreference.Auto, true, [GraphVariants.Fast]));
        Assert.Contains("run on CUDA", e.Message);
    }

    [Fact]
    public void The_cpu_lists_the_fp32_graphs_and_not_the_fp16_one()
    {
        using var model = MusicModel.Load(TestPackages.Transformer());
        Assert.Equal(GraphVariants.Fast, model.DefaultVariant);
        Assert.Contains(GraphVariants.FastInt8, model.Variants);
        Assert.DoesNotContain(GraphVariants.FastFp16, model.Variants);
    }

    [Fact]
    public void The_fp16_fast_graph_decodes_like_the_fp32_one_through_the_same_decoder_and_row_moves()
    {
        // The CUDA path runs this graph with the same decoder (KV buffers in device memory instead of host memory).
        using var model = MusicModel.Load(TestPackages.Transformer());
        using var fp32 = model.CreateDecoder(3, GraphVariants.Fast);
        using var fp16 = model.CreateDecoder(3, GraphVariants.FastFp16);
        int[][] prompts = [[1, 5, 9, 12], [1, 7], [1, 3, 3, 8, 20, 4]];
        double maxDiff = 0;
        int same = 0, steps = 0;
        foreach (var p in prompts)
            maxDiff = Math.Max(maxDiff, MaxDiff(fp32.Prefill(p), fp16.Prefill(p)));
        var tokens = new int[3];
        for (int step = 0; step < 40; step++)
        {
            if (step == 20)
            {
                // a sequence leaves: the last row's cache moves into its place (a device-to-device copy on CUDA)
                fp32.RemoveRow(0);
                fp16.RemoveRow(0);
            }
            int n = fp32.Count;
            for (int i = 0; i < n; i++) tokens[i] = 3 + (step * 7 + i * 5) % 20;
            var a = fp32.Decode(tokens.AsSpan(0, n));
            var b = fp16.Decode(tokens.AsSpan(0, n));
            maxDiff = Math.Max(maxDiff, MaxDiff(a, b));
            int vocab = fp32.VocabularySize;
            for (int i = 0; i < n; i++, steps++)
                if (ArgMax(a.Slice(i * vocab, vocab)) == ArgMax(b.Slice(i * vocab, vocab))) same++;
        }
        Assert.Equal(2, fp16.Count);
        Assert.True(maxDiff < 0.05, $"max |fp32 - fp16| logit {maxDiff}");
        Assert.True(same >= steps * 9 / 10, $"{same} of {steps} greedy tokens agree");
    }

    private static double MaxDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    private static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
