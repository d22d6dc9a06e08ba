using MusicGen.Core.Midi;
using MusicGen.Core.Music;

namespace MusicGen.Inference.Tests;

/// <summary>Generated MIDI always carries a key signature: the one the tokens name, else KeyFinder's estimate from the notes.</summary>
public sealed class KeySignatureTests
{
    private static string BundledPackage(string name)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "MusicGen.sln"))) return Path.Combine(d.FullName, "onnx", name);
        throw new InvalidOperationException("repository root not found");
    }

    [Fact]
    public async Task The_folk_models_tunes_carry_the_key_estimated_from_their_notes()
    {
        // The bundled folk LSTM has no key tokens: the key signature comes from KeyFinder, at tick 0.
        using var generator = MusicGenerator.Create(new InferenceOptions { ModelPath = BundledPackage("nottingham-lstm") });
        Assert.DoesNotContain(Enumerable.Range(0, generator.Model.Tokenizer.VocabularySize), id => generator.Model.Tokenizer.TokenName(id).StartsWith("Key_", StringComparison.Ordinal));
        var keys = new HashSet<MusicalKey>();
        for (long seed = 1; seed <= 4; seed++)
        {
            var result = await generator.GenerateAsync(new GenerationRequest { Bars = 8, Seed = seed });
            var written = MidiScore.Read(result.Midi);
            var signature = Assert.Single(written.KeySignatures);
            Assert.Equal(0, signature.Tick);
            Assert.Equal(signature, Assert.Single(result.Score.KeySignatures));

            written.KeySignatures.Clear();
            var estimate = KeyFinder.KeyMap(written)[0];
            Assert.Equal(KeySource.Estimate, estimate.Source);
            Assert.Equal((estimate.Key.SharpsFlats, estimate.Key.IsMinor), (signature.SharpsFlats, signature.IsMinor));
            keys.Add(estimate.Key);
        }
        Assert.Contains(keys, k => k != new MusicalKey(0, false)); // not C major by default: these tunes are mostly in G and D
    }

    [Fact]
    public void A_piece_that_names_its_keys_keeps_them_and_one_with_no_notes_gets_none()
    {
        var named = new Score { TicksPerQuarter = 480 };
        named.KeySignatures.Add(new KeySignature(0, -1, false));
        named.KeySignatures.Add(new KeySignature(1920, 2, false));
        var track = new ScoreTrack();
        for (int i = 0; i < 8; i++) track.Notes.Add(new Note(i * 480, i * 480 + 240, 0, 64 + (i % 3), 80)); // E, F, F#: not F major
        named.Tracks.Add(track);
        Assert.Equal([new KeySignature(0, -1, false), new KeySignature(1920, 2, false)], GenerationSequence.WithKeySignature(named).KeySignatures);

        Assert.Empty(GenerationSequence.WithKeySignature(new Score { TicksPerQuarter = 480 }).KeySignatures);
    }
}
