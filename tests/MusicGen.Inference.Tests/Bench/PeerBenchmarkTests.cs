using MusicGen.Bench;

namespace MusicGen.Inference.Tests.Bench;

/// <summary>
/// <c>musicgen bench --peer genai</c> on a tiny package with its genai_config.json (GenAiConfig): GenAI loads it,
/// both runtimes write the same greedy tokens and every rate is reported. In the GPU flavor, which leaves GenAI out,
/// the peer is refused with a clear message. Not a timing test.
/// </summary>
public sealed class PeerBenchmarkTests
{
    [Fact]
    public void GenAi_peer_runs_on_a_written_package_or_is_refused_where_it_is_left_out()
    {
        var package = TestPackages.CopyOf(TestPackages.Transformer());
        MusicGen.Onnx.GenAiConfig.Write(package, MusicGen.Core.Packaging.ModelManifest.Load(package));
        var settings = new PeerSettings { Tokens = 24, Rounds = 1 };
        if (!PeerBenchmark.Peers.Contains("genai"))
        {
            var refused = Assert.Throws<ArgumentException>(() => PeerBenchmark.Run("genai", package, new InferenceOptions(), settings));
            Assert.Contains("GPU flavor", refused.Message);
            return;
        }
        var lines = new List<string>();
        settings.Progress = lines.Add;
        var r = PeerBenchmark.Run("genai", package, new InferenceOptions(), settings);

        Assert.True(r.SameTokens);
        Assert.Equal(24, r.Tokens);
        Assert.All(new[] { r.OursFastTokensPerSecond, r.OursPortableTokensPerSecond, r.PeerTokensPerSecond }, v => Assert.True(double.IsFinite(v) && v > 0, $"rate {v}"));
        Assert.Contains(lines, l => l.StartsWith("round 1:", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_peer_or_an_lstm_package_is_refused()
    {
        var unknown = Assert.Throws<ArgumentException>(() => PeerBenchmark.Run("nope", TestPackages.Transformer(), new InferenceOptions(), new PeerSettings()));
        Assert.Contains("'nope'", unknown.Message);
        if (PeerBenchmark.Peers.Contains("genai"))
        {
            var lstm = Assert.Throws<ArgumentException>(() => PeerBenchmark.Run("genai", TestPackages.Lstm(), new InferenceOptions(), new PeerSettings()));
            Assert.Contains("portable graph", lstm.Message);
        }
    }
}
