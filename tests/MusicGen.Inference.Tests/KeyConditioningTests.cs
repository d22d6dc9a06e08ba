using MusicGen.Core.Midi;
using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;
using MusicGen.Inference.Errors;

namespace MusicGen.Inference.Tests;

/// <summary>The <c>key</c> option on a real (random-weight) ONNX package with key tokens, and on packages without them.</summary>
public sealed class KeyConditioningTests
{
    private static string KeyPackage() =>
        TestPackages.Transformer("remi-keys", tokenizer: new RemiTokenizer(new RemiConfig { PositionsPerQuarter = 4, KeyTokens = true }));

    private static GenerationResult Generate(MusicModel model, GenerationRequest request)
    {
        using var batch = model.CreateBatch(1);
        var seq = model.CreateSequence(request);
        if (batch.Add(seq)) while (batch.Count > 0) batch.Step();
        return seq.ToResult();
    }

    [Theory]
    [InlineData("F# minor", 3, true)]
    [InlineData("Bb", -2, false)]
    [InlineData("e minor", 1, true)]
    public void The_first_key_token_and_the_written_key_signature_are_the_requested_key(string key, int sharpsFlats, bool minor)
    {
        using var model = MusicModel.Load(KeyPackage());
        var t = model.Tokenizer;
        var expected = "Key_" + MusicalKey.Parse(key).ShortName;
        for (long seed = 1; seed <= 4; seed++)
        {
            var result = Generate(model, new GenerationRequest { Bars = 3, Seed = seed, Key = key });
            Assert.Equal(1, result.PromptTokenCount); // only BOS: the model places the key, the grammar picks which
            var names = result.Tokens.Select(t.TokenName).ToArray();
            Assert.Equal(expected, names.First(n => n.StartsWith("Key_", StringComparison.Ordinal)));
            var written = MidiScore.Read(result.Midi);
            Assert.NotEmpty(written.Tracks.SelectMany(x => x.Notes));
            Assert.Equal(new KeySignature(0, sharpsFlats, minor), written.KeySignatures[0]);
            Assert.Equal(result.Midi, Generate(model, new GenerationRequest { Bars = 3, Seed = seed, Key = key }).Midi); // deterministic
        }
    }

    [Fact]
    public void Without_a_key_the_random_model_picks_other_keys_so_the_forcing_is_what_holds()
    {
        using var model = MusicModel.Load(KeyPackage());
        var firstKeys = Enumerable.Range(1, 6).Select(seed =>
            Generate(model, new GenerationRequest { Bars = 2, Seed = seed }).Tokens.Select(model.Tokenizer.TokenName).First(n => n.StartsWith("Key_", StringComparison.Ordinal)));
        Assert.True(firstKeys.Distinct().Count() > 1, string.Join(", ", firstKeys));
    }

    [Fact]
    public void With_tempo_and_meter_the_key_is_forced_after_the_time_signature()
    {
        using var model = MusicModel.Load(KeyPackage());
        var seq = model.CreateSequence(new GenerationRequest { MaxTokens = 40, Seed = 5, Key = "A minor", TimeSignature = "6/8", TempoBpm = 110 });
        Assert.Equal(["BOS", "Bar", "TimeSig_6/8", "Key_Am", "Position_0", "Tempo_110"], seq.Tokens.ToArray().Select(model.Tokenizer.TokenName));
    }

    [Fact]
    public void A_full_context_slides_to_a_window_that_restates_the_key_in_force_as_training_windows_do()
    {
        using var model = MusicModel.Load(KeyPackage());
        var t = model.Tokenizer;
        var request = new GenerationRequest { MaxTokens = 160, Seed = 8, Key = "D major", Sampling = new SamplingOptions { TokenBias = new Dictionary<int, float> { [t.Eos] = float.NegativeInfinity } } };
        using var batch = model.CreateBatch(1, maxLength: 32);
        var seq = model.CreateSequence(request);
        if (batch.Add(seq)) while (batch.Count > 0) batch.Step();
        Assert.True(seq.Slides >= 3, $"slid {seq.Slides} times");
        var tokens = seq.Tokens.ToArray();
        var window = seq.NextWindow(32);
        Assert.Equal(17, window.Length);
        Assert.Equal(tokens[^16..], window[1..]);
        var before = tokens[..^16].Select(t.TokenName).Last(n => n.StartsWith("Key_", StringComparison.Ordinal));
        Assert.Equal(before, t.TokenName(window[0]));   // not BOS: the key stays in the context

        using var plain = MusicModel.Load(TestPackages.Transformer("remi", tokenizer: new RemiTokenizer(new RemiConfig { PositionsPerQuarter = 4 })));
        using var plainBatch = plain.CreateBatch(1, maxLength: 32);
        var plainSeq = plain.CreateSequence(new GenerationRequest { MaxTokens = 80, Seed = 8, Sampling = request.Sampling });
        if (plainBatch.Add(plainSeq)) while (plainBatch.Count > 0) plainBatch.Step();
        Assert.True(plainSeq.Slides >= 1, $"slid {plainSeq.Slides} times");
        Assert.Equal(plain.Tokenizer.Bos, plainSeq.NextWindow(32)[0]); // no key tokens: BOS as before
    }

    [Fact]
    public void Bad_keys_are_refused_naming_the_option_and_the_model()
    {
        using var keyModel = MusicModel.Load(KeyPackage());
        var bad = Assert.Throws<InvalidGenerationRequestException>(() => keyModel.CreateSequence(new GenerationRequest { Key = "H minor" }));
        Assert.Contains("'H minor'", bad.Errors["key"]);
        var tempoOnly = Assert.Throws<InvalidGenerationRequestException>(() => keyModel.CreateSequence(new GenerationRequest { TempoBpm = 120 }));
        Assert.Contains("need a key", tempoOnly.Errors["key"]);
        var noGrammar = Assert.Throws<InvalidGenerationRequestException>(() => keyModel.CreateSequence(new GenerationRequest { Key = "C", Sampling = new SamplingOptions { UseGrammar = false } }));
        Assert.Contains("grammar", noGrammar.Errors["key"]);
        var withPrimer = Assert.Throws<InvalidGenerationRequestException>(() => keyModel.CreateSequence(new GenerationRequest { Key = "C", PrimerMidi = [1, 2, 3] }));
        Assert.Contains("key", withPrimer.Errors["primer"]);

        using var plain = MusicModel.Load(TestPackages.Transformer("remi", tokenizer: new RemiTokenizer(new RemiConfig { PositionsPerQuarter = 4 })));
        var plainNoGrammar = Assert.Throws<InvalidGenerationRequestException>(() => plain.CreateSequence(new GenerationRequest { Key = "A minor", Sampling = new SamplingOptions { UseGrammar = false } }));
        Assert.Contains("grammar", plainNoGrammar.Errors["key"]);
    }
}
