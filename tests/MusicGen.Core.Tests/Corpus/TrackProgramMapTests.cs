using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;

namespace MusicGen.Core.Tests.Corpus;

public class TrackProgramMapTests
{
    // POP909's layout: three named tracks, all program 0.
    private static Score Pop()
    {
        var score = new Score { TicksPerQuarter = 480 };
        score.TimeSignatures.Add(new TimeSignature(0, 4, 4));
        foreach (var (name, pitch) in new[] { ("MELODY", 72), ("BRIDGE", 64), ("PIANO", 48) })
        {
            var track = new ScoreTrack { Index = score.Tracks.Count, Name = name, Program = 0 };
            for (var i = 0; i < 4; i++) track.Notes.Add(new Note(i * 480, i * 480 + 240, score.Tracks.Count, pitch + i, 80));
            score.Tracks.Add(track);
        }

        return score;
    }

    [Fact]
    public void A_named_track_gets_its_program_and_the_input_score_is_untouched()
    {
        var score = Pop();
        var mapped = TrackProgramMap.Parse(new Dictionary<string, int> { [" melody "] = 1 }).Rewrite(score);
        Assert.NotSame(score, mapped);
        Assert.Equal([1, 0, 0], mapped.Tracks.Select(t => t.Program));
        Assert.Equal(["MELODY", "BRIDGE", "PIANO"], mapped.Tracks.Select(t => t.Name));
        Assert.Equal(score.Tracks[0].Notes, mapped.Tracks[0].Notes);
        Assert.All(score.Tracks, t => Assert.Equal(0, t.Program));
        Assert.Equal(score.TimeSignatures, mapped.TimeSignatures);
    }

    [Fact]
    public void Nothing_to_change_gives_the_same_score_and_drums_are_never_mapped()
    {
        var score = Pop();
        Assert.Same(score, TrackProgramMap.None.Rewrite(score));
        Assert.Same(score, TrackProgramMap.Parse(new Dictionary<string, int> { ["LEAD"] = 5 }).Rewrite(score));
        Assert.Same(score, TrackProgramMap.Parse(new Dictionary<string, int> { ["MELODY"] = 0 }).Rewrite(score));
        score.Tracks[0].IsDrum = true;
        Assert.Same(score, TrackProgramMap.Parse(new Dictionary<string, int> { ["MELODY"] = 1 }).Rewrite(score));
    }

    [Theory]
    [InlineData("MELODY", 128, "'MELODY': program 128")]
    [InlineData("MELODY", -1, "'MELODY': program -1")]
    [InlineData(" ", 1, "track name is empty")]
    public void A_bad_entry_is_rejected_naming_it(string name, int program, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => TrackProgramMap.Parse(new Dictionary<string, int> { [name] = program }));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Names_that_differ_only_in_case_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => TrackProgramMap.Parse(new Dictionary<string, int> { ["Melody"] = 1, ["MELODY"] = 2 }));
        Assert.Contains("given twice", e.Message);
    }

    [Fact]
    public void Remi_keeps_a_mapped_melody_apart_and_decodes_it_as_its_own_track()
    {
        var t = new RemiTokenizer();
        var merged = t.Encode(Pop());
        var apart = t.Encode(TrackProgramMap.Parse(new Dictionary<string, int> { ["MELODY"] = 1 }).Rewrite(Pop()));
        Assert.DoesNotContain(merged.ToArray(), id => t.TokenName(id) == "Program_1");
        Assert.Equal(4, apart.ToArray().Count(id => t.TokenName(id) == "Program_1"));   // at each of the 4 onsets, after the accompaniment
        Assert.Single(t.Decode(merged).Tracks);
        var decoded = t.Decode(apart);
        Assert.Equal([0, 1], decoded.Tracks.Select(x => x.Program).Order());
        Assert.Equal([72, 73, 74, 75], decoded.Tracks.Single(x => x.Program == 1).Notes.Select(n => n.Pitch));
        TrackProgramMap.Parse(new Dictionary<string, int> { ["MELODY"] = 1, ["Lead"] = 1 }).NameTracks(decoded);
        Assert.Equal("Lead", decoded.Tracks.Single(x => x.Program == 1).Name);   // the first name in ordinal order
        Assert.Equal("Program 0", decoded.Tracks.Single(x => x.Program == 0).Name);
    }
}
