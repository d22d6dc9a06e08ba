using System.Diagnostics;
using MusicGen.Core.Midi;
using MusicGen.Core.Tokenization;

namespace MusicGen.Inference.Tests;

public sealed class QualityTests
{
    private static MusicModel Load(GraphPreference graph = GraphPreference.Auto) =>
        MusicModel.Load(TestPackages.Transformer(), new InferenceOptions { Graph = graph });

    [Fact]
    public void Generated_files_open_in_mido_without_repairs()
    {
        using var model = Load();
        var dir = TestPackages.Scratch("mido");
        Directory.CreateDirectory(dir);
        using var batch = model.CreateBatch(8);
        var sequences = Enumerable.Range(0, 8).Select(i => model.CreateSequence(new GenerationRequest
        {
            MaxTokens = 150, Seed = 500 + i, Sampling = new SamplingOptions { Temperature = 1.2f, RepetitionPenalty = 1.1f, NoRepeatNgramSize = i % 2 == 0 ? 0 : 4 },
        })).ToList();
        foreach (var s in sequences) batch.Add(s);
        while (batch.Count > 0) batch.Step();
        var files = new List<string>();
        foreach (var (s, i) in sequences.Select((s, i) => (s, i)))
        {
            var path = Path.Combine(dir, $"g{i}.mid");
            File.WriteAllBytes(path, s.ToResult().Midi);
            files.Add(path);
        }
        // clip=False: out-of-range data bytes raise instead of being clipped; every message is parsed.
        var script = "import sys, mido\nn = 0\nfor p in sys.argv[1:]:\n    f = mido.MidiFile(p, clip=False)\n    n += sum(1 for t in f.tracks for m in t if m.type == 'note_on' and m.velocity > 0)\n    assert f.length >= 0\nprint(n)\n";
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (var f in files) psi.ArgumentList.Add(f);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), "mido hung");
        Assert.True(p.ExitCode == 0, "mido failed: " + stderr);
        Assert.True(int.Parse(stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture) > 0, "no notes in the generated files");
    }

    [Fact]
    public void Grammar_mask_makes_every_generation_decode_exactly()
    {
        // With the mask, every generated token is legal where it stands (checked against a fresh grammar), and the
        // decoded MIDI reads back under the strict reader.
        using var model = Load();
        var tokenizer = model.Tokenizer;
        for (int seed = 0; seed < 6; seed++)
        {
            using var batch = model.CreateBatch(1);
            var s = model.CreateSequence(new GenerationRequest { MaxTokens = 120, Seed = seed, Sampling = new SamplingOptions { Temperature = 2.0f } });
            if (batch.Add(s)) while (batch.Count > 0) batch.Step();
            foreach (var t in IllegalTokens(tokenizer, s.Tokens))
                Assert.Fail($"seed {seed}: token {tokenizer.TokenName(t)} was illegal where it was generated");
            var score = s.DecodeScore();
            var midi = MidiScore.ToBytes(score);
            MidiFile.Read(midi, MidiReadingSettings.Strict);
        }
    }

    [Fact]
    public void Without_the_mask_a_random_model_emits_illegal_tokens()
    {
        // The counterpart of the test above: it can fail, because the random model does produce illegal tokens.
        using var model = Load();
        var tokenizer = model.Tokenizer;
        using var batch = model.CreateBatch(1);
        var s = model.CreateSequence(new GenerationRequest { MaxTokens = 200, Seed = 3, Sampling = new SamplingOptions { Temperature = 2.0f, UseGrammar = false } });
        if (batch.Add(s)) while (batch.Count > 0) batch.Step();
        int illegal = IllegalTokens(tokenizer, s.Tokens).Count;
        Assert.True(illegal > 0);
    }

    [Theory]
    [InlineData(GraphPreference.Fast)]
    [InlineData(GraphPreference.Portable)]
    public void Fast_and_portable_graphs_choose_the_same_greedy_tokens(GraphPreference graph)
    {
        using var model = Load(graph);
        using var reference = Load(GraphPreference.Portable);
        var request = new GenerationRequest { MaxTokens = 60, Sampling = new SamplingOptions { Greedy = true, UseGrammar = false }, PrefixTokenIds = [5, 9, 3, 7] };
        int[] Run(MusicModel m)
        {
            using var b = m.CreateBatch(1);
            var s = m.CreateSequence(request);
            if (b.Add(s)) while (b.Count > 0) b.Step();
            return s.Tokens.ToArray();
        }
        Assert.Equal(Run(reference), Run(model));
    }

    [Theory]
    [InlineData(GraphPreference.Fast)]
    [InlineData(GraphPreference.FastInt8)]
    public void A_decode_step_allocates_nothing(GraphPreference graph)
    {
        using var model = Load(graph);
        using var batch = model.CreateBatch(8);
        for (int i = 0; i < 8; i++)
            batch.Add(model.CreateSequence(new GenerationRequest
            {
                MaxTokens = 450, Seed = i,
                Sampling = new SamplingOptions { Temperature = 0.9f, TopK = 10, TopP = 0.9f, MinP = 0.01f, RepetitionPenalty = 1.2f, NoRepeatNgramSize = 3, ScaleBias = 2f, TokenBias = new Dictionary<int, float> { [5] = 1f, [model.Tokenizer.Eos] = float.NegativeInfinity } },
            }));
        for (int i = 0; i < 20; i++) batch.Step(); // warm up: bindings for this batch size are made once
        long allocated = MusicGen.Bench.SteadyAllocation.LeastPerWindow(() => batch.Step(), 100); // a per-step allocation shows in every window
        Assert.Equal(8, batch.Count);
        Assert.Equal(0, allocated);
    }

    /// <summary>The tokens a fresh grammar forbids where they stand (each still accepted, as generation did).</summary>
    private static List<int> IllegalTokens(IMusicTokenizer tokenizer, ReadOnlySpan<int> tokens)
    {
        var grammar = tokenizer.CreateGrammar();
        grammar.Reset();
        var logits = new float[tokenizer.VocabularySize];
        var illegal = new List<int>();
        foreach (var t in tokens)
        {
            Array.Clear(logits);
            grammar.MaskLogits(logits);
            if (float.IsNegativeInfinity(logits[t])) illegal.Add(t);
            grammar.Accept(t);
        }
        return illegal;
    }
}
