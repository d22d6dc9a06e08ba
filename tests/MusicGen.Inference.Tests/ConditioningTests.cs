using MusicGen.Core.Midi;
using MusicGen.Core.Tokenization;

namespace MusicGen.Inference.Tests;

public sealed class ConditioningTests
{
    private static string RemiPackage() => TestPackages.Transformer("remi", tokenizer: new RemiTokenizer(new RemiConfig { PositionsPerQuarter = 4 }));

    [Fact]
    public void Tempo_time_signature_and_program_become_forced_tokens_the_music_keeps()
    {
        using var model = MusicModel.Load(RemiPackage());
        using var batch = model.CreateBatch(1);
        var seq = model.CreateSequence(new GenerationRequest
        {
            MaxTokens = 200, Seed = 3, TempoBpm = 96, TimeSignature = "3/4", Program = 40,
            Sampling = new SamplingOptions { TokenBias = new Dictionary<int, float> { [model.Tokenizer.Eos] = float.NegativeInfinity } },
        });
        Assert.Equal(["BOS", "Bar", "TimeSig_3/4", "Position_0", "Tempo_96", "Program_40"],
            seq.Tokens.ToArray().Select(model.Tokenizer.TokenName));
        if (batch.Add(seq)) while (batch.Count > 0) batch.Step();
        var score = MidiScore.Read(seq.ToResult().Midi);
        Assert.Equal(96, score.Tempos[0].BeatsPerMinute, 0);
        Assert.Equal((3, 4), (score.TimeSignatures[0].Numerator, score.TimeSignatures[0].Denominator));
        Assert.Contains(score.Tracks, t => t.Program == 40 && t.Notes.Count > 0);
    }

    [Fact]
    public void A_forced_token_the_grammar_forbids_is_rejected_with_what_is_legal()
    {
        using var model = MusicModel.Load(RemiPackage());
        var e = Assert.Throws<ArgumentException>(() => model.CreateSequence(new GenerationRequest { PrefixTokens = ["Pitch_60"] }));
        Assert.Contains("Pitch_60", e.Message);
        Assert.Contains("legal next", e.Message);
    }

    [Fact]
    public void Conditioning_the_tokenizer_cannot_express_is_rejected()
    {
        using var model = MusicModel.Load(TestPackages.Transformer()); // chorale tokens: no tempo
        var e = Assert.Throws<ArgumentException>(() => model.CreateSequence(new GenerationRequest { TempoBpm = 120 }));
        Assert.Contains("chorale", e.Message);
    }
}
