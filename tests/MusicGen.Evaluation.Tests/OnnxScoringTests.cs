using MusicGen.Inference;

namespace MusicGen.Evaluation.Tests;

public sealed class OnnxScoringTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "musicgen-eval-onnx-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Theory]
    [InlineData("transformer")]
    [InlineData("lstm")]
    public async Task Masked_arg_max_of_every_row_is_what_the_engine_generated_greedily(string kind)
    {
        string dir = kind == "lstm" ? TinyPackages.Lstm(Path.Combine(_root, kind)) : TinyPackages.Transformer(Path.Combine(_root, kind));
        int[] tokens;
        using (var generator = new MusicGenerator(MusicModel.Load(dir, new InferenceOptions { Graph = GraphPreference.Portable })))
        {
            var result = await generator.GenerateAsync(new GenerationRequest { MaxTokens = 60, Seed = 3, Sampling = new SamplingOptions { Greedy = true } });
            tokens = result.Tokens;
        }

        using var runner = OnnxSequenceLogits.Open(dir, intraOpThreads: 1);
        int v = runner.VocabularySize;
        var logits = new float[tokens.Length * v];
        runner.Run(tokens, logits);
        var grammar = runner.Package.Tokenizer.CreateGrammar();
        grammar.Reset();
        grammar.SoundingBars = true; // as generation sets it (no silent bars); scoring real data leaves it off
        grammar.Accept(tokens[0]);
        var row = new float[v];
        for (int t = 1; t < tokens.Length; t++)
        {
            logits.AsSpan((t - 1) * v, v).CopyTo(row);
            grammar.MaskLogits(row);
            Assert.Equal(tokens[t], Array.IndexOf(row, row.Max()));
            grammar.Accept(tokens[t]);
        }
    }

    [Fact]
    public void Rows_are_causal_and_the_scorer_runs_over_real_logits()
    {
        string dir = TinyPackages.Transformer(Path.Combine(_root, "t"), context: 16);
        using var runner = OnnxSequenceLogits.Open(dir, intraOpThreads: 1);
        var tok = TinyPackages.Tokenizer();
        int[] seq = [tok.Bos, tok.PitchId(60), tok.PitchId(64), tok.FrameEnd, tok.PitchId(62), tok.FrameEnd, tok.Eos];
        int v = runner.VocabularySize;
        var full = new float[seq.Length * v];
        runner.Run(seq, full);
        var prefix = new float[3 * v];
        runner.Run(seq.AsSpan(0, 3), prefix);
        for (int i = 0; i < 3 * v; i++)
        {
            Assert.Equal(prefix[i], full[i], 4);
        }

        // A 40-token sequence through a 16-token context: windowed, every token scored once.
        var rng = new Random(2);
        var frames = Enumerable.Range(0, 12).Select(_ => (IReadOnlyList<int>)Enumerable.Range(0, rng.Next(0, 3)).Select(_ => rng.Next(48, 85)).ToList()).ToList();
        var longSeq = tok.EncodeFrames(frames);
        var options = new NllOptions { FrameEndToken = tok.FrameEnd, EosToken = tok.Eos };
        var r = NllEvaluator.Evaluate([seq, longSeq], runner, () => new GrammarConstraint(tok.CreateGrammar()), options);
        Assert.Equal(seq.Length - 1 + longSeq.Length - 1, r.Tokens);
        Assert.Equal(2 + 12, r.Frames);
        Assert.Equal(0, r.MaskViolations);
        Assert.True(double.IsFinite(r.NllPerToken) && r.NllPerToken > 0);
        Assert.True(r.NllPerFrame > r.NllPerToken);

        // The evaluator on one short sequence = the accumulator on the logits of one run.
        var direct = new NllAccumulator(v, options);
        direct.AddSequence(seq, full, new GrammarConstraint(tok.CreateGrammar()));
        var viaEvaluator = NllEvaluator.Evaluate([seq], runner, () => new GrammarConstraint(tok.CreateGrammar()), options);
        Assert.Equal(direct.Result().NllPerToken, viaEvaluator.NllPerToken, 9);
        Assert.Equal(direct.Result().NllPerFrame, viaEvaluator.NllPerFrame, 9);
    }

    [Fact]
    public void A_package_without_an_all_positions_graph_is_refused()
    {
        Assert.ThrowsAny<Exception>(() => OnnxSequenceLogits.Open(Path.Combine(_root, "missing")));
    }
}
