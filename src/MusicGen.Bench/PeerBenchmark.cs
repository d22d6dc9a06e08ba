using System.Diagnostics;
using MusicGen.Core.Packaging;
using MusicGen.Inference;

namespace MusicGen.Bench;

/// <summary>Settings of <see cref="PeerBenchmark.Run"/>.</summary>
public sealed class PeerSettings
{
    /// <summary>Tokens decoded per measurement, from BOS, greedily (default 512, the <c>generate</c> default).</summary>
    public int Tokens { get; set; } = 512;

    /// <summary>Interleaved rounds of every runtime; each rate is the median (default 5).</summary>
    public int Rounds { get; set; } = 5;

    /// <summary>Receives a line as each measurement finishes (progress), or null.</summary>
    public Action<string>? Progress { get; set; }
}

/// <summary>
/// Ours against another runtime on the same package, in one process: batch-1 greedy decode of the same number of
/// tokens from the same prompt (end of sequence held back in both), whole generations timed (prompt prefill
/// included), median of interleaved rounds. Our portable graph runs the very file the peer runs, so the portable
/// row compares engines; the fast row is what our engine picks by default.
/// </summary>
public sealed record PeerReport(
    string Peer, string Package, int Tokens, int Rounds, int Threads,
    string FastVariant, double OursFastTokensPerSecond, double OursPortableTokensPerSecond, double PeerTokensPerSecond,
    bool SameTokens);

/// <summary>Runs <see cref="PeerReport"/> measurements; which peers exist depends on the build (see <see cref="Peers"/>).</summary>
public static class PeerBenchmark
{
    /// <summary>Peers this build can measure against: <c>genai</c> (ONNX Runtime GenAI) except in the GPU flavor, whose build must not reference the CPU ONNX Runtime package GenAI depends on.</summary>
    public static IReadOnlyList<string> Peers { get; } =
#if GENAI_PEER
        ["genai"];
#else
        [];
#endif

    /// <summary>Measures ours and <paramref name="peer"/> on a transformer package with a portable graph.</summary>
    /// <exception cref="ArgumentException">An unknown peer, a package the peer cannot load, or bad settings.</exception>
    public static PeerReport Run(string peer, string packageDirectory, InferenceOptions options, PeerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        if (!Peers.Contains(peer))
            throw new ArgumentException(Peers.Count == 0
                ? $"This build measures no peer runtime (the GPU flavor leaves ONNX Runtime GenAI out); '{peer}' is not available."
                : $"Unknown peer '{peer}'; this build knows: {string.Join(", ", Peers)}.");
        if (settings.Tokens < 1 || settings.Rounds < 1) throw new ArgumentException($"Tokens and rounds must be at least 1 (got {settings.Tokens}, {settings.Rounds}).");
        var say = settings.Progress ?? (_ => { });
        var opts = options.Clone();
        opts.Graph = GraphPreference.Auto;
        using var model = MusicModel.Load(packageDirectory, opts);
        if (model.Package.Manifest.FindGraph(GraphVariants.Portable) is null || model.Package.Architecture != ModelArchitectures.Transformer)
            throw new ArgumentException($"{packageDirectory}: a peer runs a transformer package's portable graph; this package has none.");
        int tokens = Math.Min(settings.Tokens, model.MaxSequenceLength - 2);
        var fastVariant = model.DefaultVariant;
        var prompt = Decode(model, fastVariant, 1).Prompt;
#if GENAI_PEER
        using var genAi = new GenAiPeer(packageDirectory, opts.IntraOpThreads);
#endif
        Func<(double Seconds, int[] Tokens)> runPeer =
#if GENAI_PEER
            () => genAi.Decode(prompt, tokens);
#else
            () => throw new UnreachableException();
#endif
        // Warm-up: one short generation of each (sessions, bindings, the JIT's first tiers).
        Decode(model, fastVariant, Math.Min(tokens, 64));
        Decode(model, GraphVariants.Portable, Math.Min(tokens, 64));
        runPeer();
        say("warmed up");

        var fast = new double[settings.Rounds];
        var portable = new double[settings.Rounds];
        var theirs = new double[settings.Rounds];
        bool same = true;
        for (int r = 0; r < settings.Rounds; r++)
        {
            var f = Decode(model, fastVariant, tokens);
            var p = Decode(model, GraphVariants.Portable, tokens);
            var g = runPeer();
            fast[r] = tokens / f.Seconds;
            portable[r] = tokens / p.Seconds;
            theirs[r] = tokens / g.Seconds;
            same &= p.Tokens.AsSpan().SequenceEqual(g.Tokens);
            say($"round {r + 1}: ours {fastVariant} {fast[r]:F1}, ours portable {portable[r]:F1}, {peer} {theirs[r]:F1} tokens/s");
        }
        return new PeerReport(peer, model.Package.Name, tokens, settings.Rounds, opts.IntraOpThreads, fastVariant,
            EngineMeasurements.Median(fast), EngineMeasurements.Median(portable), EngineMeasurements.Median(theirs), same);
    }

    /// <summary>One greedy batch-1 generation of exactly <paramref name="tokens"/> tokens; the time covers prefill and decode.</summary>
    private static (double Seconds, int[] Tokens, int[] Prompt) Decode(MusicModel model, string variant, int tokens)
    {
        var request = new GenerationRequest
        {
            MaxTokens = tokens,
            Seed = 1,
            Sampling = new SamplingOptions
            {
                Greedy = true,
                UseGrammar = false,
                RepetitionPenalty = 1f, // the graph's own greedy choice, as the peer's: a package's penalty default is off
                TokenBias = new Dictionary<int, float> { [model.Tokenizer.Eos] = float.NegativeInfinity },
            },
        };
        var t0 = Stopwatch.GetTimestamp();
        using var batch = model.CreateBatch(1, variant, tokens + 8);
        var sequence = model.CreateSequence(request);
        batch.Add(sequence);
        while (batch.Count > 0) batch.Step();
        var seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        return (seconds, sequence.Tokens.ToArray(), sequence.Tokens[..sequence.PromptLength].ToArray());
    }
}
