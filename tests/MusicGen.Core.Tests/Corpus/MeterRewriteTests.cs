using MusicGen.Core.Music;

namespace MusicGen.Core.Tests.Corpus;

public sealed class MeterRewriteTests
{
    [Fact]
    public void Rewrite_returns_a_rewritten_copy_and_leaves_the_input_alone()
    {
        var score = new Score { TicksPerQuarter = 96 };
        score.TimeSignatures.Add(new TimeSignature(0, 1, 4));
        score.TimeSignatures.Add(new TimeSignature(960, 3, 4));
        score.Tempos.Add(new TempoChange(0, 500_000));
        score.Tracks.Add(new ScoreTrack());
        var map = MeterRewrite.Parse(new Dictionary<string, string> { ["1/4"] = "4/4" });
        var copy = map.Rewrite(score);
        Assert.NotSame(score, copy);
        Assert.Equal([new TimeSignature(0, 4, 4), new TimeSignature(960, 3, 4)], copy.TimeSignatures);
        Assert.Equal([new TimeSignature(0, 1, 4), new TimeSignature(960, 3, 4)], score.TimeSignatures);
        Assert.Same(score.Tracks[0], copy.Tracks[0]);
        Assert.Equal(score.Tempos, copy.Tempos);
        Assert.Equal(96, copy.TicksPerQuarter);
        Assert.Equal(new Dictionary<string, string> { ["1/4"] = "4/4" }, map.ToDictionary());

        // Nothing to rewrite: the same instance.
        Assert.Same(copy, map.Rewrite(copy));
        Assert.Same(score, MeterRewrite.None.Rewrite(score));
        Assert.True(MeterRewrite.Parse(null).IsEmpty);
    }

    [Theory]
    [InlineData("4", "4/4")]
    [InlineData("4/4", "4/3")]
    [InlineData("0/4", "4/4")]
    [InlineData("4/4", "x/4")]
    [InlineData("4/4", "-4/4")]
    public void Malformed_entries_are_named(string from, string to)
    {
        var e = Assert.Throws<ArgumentException>(() => MeterRewrite.Parse(new Dictionary<string, string> { [from] = to }));
        Assert.Contains("is not a time signature like 4/4", e.Message);
    }
}
