using MusicGen.Bench;

namespace MusicGen.Inference.Tests.Bench;

/// <summary>
/// <c>bench --compare-cpu</c>: the same model on two providers, greedy. Here both run on the CPU (asking for CUDA
/// without it falls back), so every token and logit must agree; on a GPU the report shows fp16's drift.
/// </summary>
public sealed class DeviceAgreementTests
{
    [Fact]
    public void The_same_provider_agrees_on_every_token_and_logit()
    {
        var a = DeviceAgreement.Measure(TestPackages.Transformer(), new InferenceOptions { ExecutionProvider = "cuda" }, 40);
        Assert.Equal(40, a.Tokens);
        Assert.Equal("fast on cpu", a.Graph);
        Assert.Equal("fast on cpu", a.Reference);
        Assert.Equal(1.0, a.SameGreedyTokens);
        Assert.Equal(1.0, a.SameArgMax);
        Assert.Equal(0.0, a.MaxAbsLogitDifference);
    }
}
