using MusicGen.Core.Music;

namespace MusicGen.Core.Tests.Keys;

public sealed class KeyFinderTests
{
    [Fact]
    public void Every_key_survives_its_signature_and_its_name()
    {
        for (var i = 0; i < MusicalKey.Count; i++)
        {
            var key = MusicalKey.FromIndex(i);
            Assert.InRange(key.SharpsFlats, -5, 6);
            Assert.Equal(key, MusicalKey.FromSignature(key.SharpsFlats, key.IsMinor));
            Assert.Equal(key, MusicalKey.Parse(key.Name));
            Assert.Equal(key, MusicalKey.Parse(key.ShortName));
            Assert.Equal(7, System.Numerics.BitOperations.PopCount((uint)key.ScaleMask));
            Assert.Equal(key, key.Transpose(5).Transpose(-5));
            Assert.Equal(key, key.Transpose(-25).Transpose(1));
        }

        Assert.Equal(MusicalKey.Parse("D major"), MusicalKey.Parse("C major").Transpose(2));
        Assert.Equal(MusicalKey.Parse("B minor"), MusicalKey.Parse("E minor").Transpose(-5));

        Assert.Equal("A minor", MusicalKey.FromSignature(0, true).Name);
        Assert.Equal("Eb major", MusicalKey.FromSignature(-3, false).Name);
        Assert.Equal("F# major", MusicalKey.FromSignature(6, false).Name);
        Assert.Equal(MusicalKey.FromSignature(7, false), MusicalKey.FromSignature(-5, false)); // C# = Db
        Assert.Equal(new MusicalKey(9, true), MusicalKey.Parse(" a MINOR "));
        Assert.Equal(new MusicalKey(10, false), MusicalKey.Parse("Bb"));
        Assert.Equal(new MusicalKey(1, true), MusicalKey.Parse("C#m"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("H major")]
    [InlineData("A dorian")]
    [InlineData("m")]
    public void Bad_key_names_are_refused_with_the_text(string text)
    {
        var e = Assert.Throws<FormatException>(() => MusicalKey.Parse(text));
        Assert.Contains($"'{text}'", e.Message);
    }

    [Theory]
    [InlineData(KeyProfile.KrumhanslKessler)]
    [InlineData(KeyProfile.Temperley)]
    [InlineData(KeyProfile.AlbrechtShanahan)]
    public void Cadences_in_every_key_are_found(KeyProfile profile)
    {
        for (var i = 0; i < MusicalKey.Count; i++)
        {
            var key = MusicalKey.FromIndex(i);
            var score = Cadence(key, signature: null);
            Assert.Equal(key, KeyFinder.Estimate(KeyFinder.PitchClassWeights(score, 0, long.MaxValue), profile));
        }
    }

    [Fact]
    public void The_key_map_takes_a_plausible_signature_and_replaces_an_implausible_one()
    {
        var g = MusicalKey.Parse("G major");
        var plausible = KeyFinder.KeyMap(Cadence(g, new KeySignature(0, 1, false)));
        Assert.Equal([new KeyChange(0, g, KeySource.Signature)], plausible);

        // Its relative minor on the same notes is plausible too: the signature decides the mode.
        Assert.Equal(MusicalKey.Parse("E minor"), KeyFinder.KeyMap(Cadence(g, new KeySignature(0, 1, true)))[0].Key);

        // A default C-major signature on a piece in E major is not.
        var e = MusicalKey.Parse("E major");
        Assert.Equal([new KeyChange(0, e, KeySource.Estimate)], KeyFinder.KeyMap(Cadence(e, new KeySignature(0, 0, false))));

        // No signature: estimated; nothing at all: C major by default.
        Assert.Equal(KeySource.Estimate, KeyFinder.KeyMap(Cadence(e, signature: null))[0].Source);
        Assert.Equal([new KeyChange(0, new MusicalKey(0, false), KeySource.Default)], KeyFinder.KeyMap(new Score()));
    }

    [Fact]
    public void Signatures_are_normalised_and_the_first_moves_to_the_start()
    {
        var score = Cadence(MusicalKey.Parse("D major"), new KeySignature(96, 2, false));
        score.KeySignatures.Add(new KeySignature(96, 2, false)); // a second track repeats it
        var map = KeyFinder.KeyMap(score);
        Assert.Equal([new KeyChange(0, MusicalKey.Parse("D major"), KeySource.Signature)], map);
    }

    /// <summary>I–IV–V–I in the key (harmonic minor's leading tone for minor keys) with a melody over it.</summary>
    internal static Score Cadence(MusicalKey key, KeySignature? signature)
    {
        var score = new Score { TicksPerQuarter = 96 };
        if (signature is { } s) score.KeySignatures.Add(s);
        var track = new ScoreTrack();
        score.Tracks.Add(track);
        int third = key.IsMinor ? 3 : 4;
        int[][] chords = [[0, third, 7], [5, key.IsMinor ? 8 : 9, 12], [7, 11, 14], [0, third, 7]];
        int[] melody = key.IsMinor ? [0, 2, 3, 5, 7, 8, 11, 12] : [0, 2, 4, 5, 7, 9, 11, 12];
        var root = 48 + key.Tonic;
        for (var c = 0; c < chords.Length; c++)
        {
            foreach (var step in chords[c]) track.Notes.Add(new Note(c * 384, (c + 1) * 384, 0, root + step, 82));
            for (var m = 0; m < 2; m++) track.Notes.Add(new Note((c * 384) + (m * 192), (c * 384) + ((m + 1) * 192), 0, root + 12 + melody[(2 * c) + m], 90));
        }

        track.Notes.Add(new Note(4 * 384, 6 * 384, 0, root, 82));
        track.Notes.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Pitch.CompareTo(b.Pitch));
        return score;
    }
}
