using MusicGen.Core.Music;
using MusicGen.Core.Tests.Keys;
using MusicGen.Core.Tokenization;

namespace MusicGen.Core.Tests.Tokenization;

public sealed class RemiKeyTests
{
    private static readonly RemiTokenizer Keys = new(new RemiConfig { KeyTokens = true });

    [Fact]
    public void Key_tokens_come_after_the_old_vocabulary_and_the_json_says_so()
    {
        var plain = new RemiTokenizer();
        Assert.Equal(plain.VocabularySize + 24, Keys.VocabularySize);
        Assert.Equal(plain.Vocabulary.Names, Keys.Vocabulary.Names.Take(plain.VocabularySize));
        Assert.Equal("Key_C", Keys.TokenName(plain.VocabularySize));
        Assert.Equal("Key_Am", Keys.TokenName(plain.VocabularySize + 12 + 9));
        Assert.DoesNotContain("keyTokens", plain.ToJson(), StringComparison.Ordinal); // old packages' JSON unchanged
        Assert.Contains("\"keyTokens\":true", Keys.ToJson(), StringComparison.Ordinal);
        Assert.True(((RemiTokenizer)TokenizerJson.FromJson(Keys.ToJson())).Config.KeyTokens);
        Assert.Null(plain.KeyTokenId(MusicalKey.Parse("C")));
    }

    [Fact]
    public void The_first_bar_names_the_key_and_decoding_writes_the_signature()
    {
        var score = KeyFinderTests.Cadence(MusicalKey.Parse("E minor"), new KeySignature(0, 1, true));
        score.TimeSignatures.Add(new TimeSignature(0, 4, 4));
        var ids = Keys.Encode(score);
        Assert.Equal(["BOS", "Bar", "TimeSig_4/4", "Key_Em", "Position_0"], ids.Take(5).Select(Keys.TokenName));
        Assert.Single(ids, id => Keys.TokenName(id).StartsWith("Key_", StringComparison.Ordinal));
        var decoded = Keys.Decode(ids);
        Assert.Equal([new KeySignature(0, 1, true)], decoded.KeySignatures);
        Assert.True(RoundTrip.Measure(Keys, score).Exact);

        // Without a signature the estimate is written; an implausible signature is replaced by it.
        var bare = KeyFinderTests.Cadence(MusicalKey.Parse("Bb major"), signature: null);
        Assert.Equal("Key_Bb", Keys.TokenName(Keys.Encode(bare)[2]));
        var wrong = KeyFinderTests.Cadence(MusicalKey.Parse("Bb major"), new KeySignature(0, 0, false));
        Assert.Equal("Key_Bb", Keys.TokenName(Keys.Encode(wrong)[2]));
        Assert.True(RoundTrip.Measure(Keys, wrong).Exact);
    }

    [Fact]
    public void A_key_change_inside_a_bar_moves_to_its_bar_line()
    {
        // 8 bars of C major then 8 bars of G major (with F#), the change signed at beat 2 of bar 9.
        var score = new Score { TicksPerQuarter = 96 };
        var track = new ScoreTrack();
        score.Tracks.Add(track);
        int[] c = [60, 62, 64, 65, 67, 69, 71, 72], g = [67, 69, 71, 72, 74, 76, 78, 79];
        for (var bar = 0; bar < 16; bar++)
        {
            var scale = bar < 8 ? c : g;
            for (var q = 0; q < 4; q++) track.Notes.Add(new Note((bar * 384) + (q * 96), (bar * 384) + ((q + 1) * 96), 0, scale[((bar * 4) + q) % 8], 82));
        }

        score.KeySignatures.Add(new KeySignature(0, 0, false));
        score.KeySignatures.Add(new KeySignature((8 * 384) + 96, 1, false));
        var names = Keys.Encode(score).Select(Keys.TokenName).ToList();
        Assert.Equal(["Key_C", "Key_G"], names.Where(n => n.StartsWith("Key_", StringComparison.Ordinal)));
        var barsBeforeG = names.Take(names.IndexOf("Key_G")).Count(n => n == "Bar");
        Assert.Equal(9, barsBeforeG); // the bar where the change was signed
        var decoded = Keys.Decode(Keys.Encode(score));
        Assert.Equal([new KeySignature(0, 0, false), new KeySignature(8 * 480 * 4, 1, false)], decoded.KeySignatures);
        Assert.True(RoundTrip.Measure(Keys, score).Exact);
    }

    [Fact]
    public void The_grammar_wants_a_key_in_the_first_bar_and_only_changes_later()
    {
        var g = Keys.CreateGrammar();
        var logits = new float[Keys.VocabularySize];
        bool Legal(string name)
        {
            Array.Fill(logits, 0f);
            g.MaskLogits(logits);
            return !float.IsNegativeInfinity(logits[Keys.TokenId(name)]);
        }

        g.Accept(Keys.Bos);
        g.Accept(Keys.BarId);
        Assert.False(Legal("Position_0"));
        Assert.False(Legal("EOS"));
        Assert.True(Legal("TimeSig_3/4"));
        Assert.True(Legal("Key_Am"));
        g.Accept(Keys.TokenId("TimeSig_3/4"));
        Assert.False(Legal("Position_0"));
        g.Accept(Keys.TokenId("Key_Am"));
        Assert.True(Legal("Position_0"));
        Assert.False(Legal("Key_C"));
        g.Accept(Keys.TokenId("Position_0"));
        Assert.False(Legal("Key_C"));
        g.Accept(Keys.BarId);
        Assert.True(Legal("Position_0"));
        Assert.True(Legal("Key_C"));
        Assert.False(Legal("Key_Am")); // not a change

        // A plain REMI grammar never allows a key (there is none) and needs none.
        var plain = new RemiTokenizer();
        var pg = plain.CreateGrammar();
        pg.Accept(plain.Bos);
        pg.Accept(plain.BarId);
        var pl = new float[plain.VocabularySize];
        pg.MaskLogits(pl);
        Assert.False(float.IsNegativeInfinity(pl[plain.TokenId("Position_0")]));
    }

    [Fact]
    public void Transposing_moves_the_key_signature()
    {
        var score = KeyFinderTests.Cadence(MusicalKey.Parse("D major"), new KeySignature(0, 2, false));
        var up = score.Transpose(3);
        Assert.Equal([new KeySignature(0, -1, false)], up.KeySignatures); // D + 3 semitones = F major, 1 flat
        Assert.Equal(KeySource.Signature, KeyFinder.KeyMap(up)[0].Source);
    }
}
