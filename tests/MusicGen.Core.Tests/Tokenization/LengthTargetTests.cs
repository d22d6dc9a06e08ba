using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;

namespace MusicGen.Core.Tests.Tokenization;

/// <summary>
/// <see cref="ITokenGrammar.TargetBars"/>: a walk that tries hard to end early (EOS, empty bars, the longest notes,
/// time-signature changes, cut bars) still gives exactly the target's bars, with a note sounding in the last one and
/// none past its bar line.
/// </summary>
public sealed class LengthTargetTests
{
    public static TheoryData<string, int> Targets => new()
    {
        { RemiTokenizer.KindName, 1 },
        { RemiTokenizer.KindName, 4 },
        { RemiTokenizer.KindName, 9 },
        { ChoraleTokenizer.KindName, 1 },
        { ChoraleTokenizer.KindName, 5 },
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public void A_walk_that_wants_to_end_still_gives_exactly_the_target_bars(string kind, int target)
    {
        var t = TokenizerJson.CreateDefault(kind);
        var rng = new Random(target * 31 + kind.Length);
        for (var run = 0; run < 40; run++)
        {
            var ids = Walk(t, target, rng, out var g);
            Assert.Equal(target, g.Bars);
            var score = t.Decode(ids.ToArray());
            Assert.True(score.AllNotes.Any(), $"{kind} run {run}: no notes");
            var bars = BarCount(score);
            Assert.True(bars == target, $"{kind} run {run}: {bars} bars, not {target}: {string.Join(' ', ids.Select(t.TokenName))}");
        }
    }

    [Fact]
    public void Without_a_target_the_grammar_is_unchanged_and_reset_clears_it()
    {
        foreach (var kind in TokenizerJson.Kinds)
        {
            var t = TokenizerJson.CreateDefault(kind);
            var g = t.CreateGrammar();
            g.Accept(t.Bos);
            if (kind == RemiTokenizer.KindName) g.Accept(t.TokenId("Bar"));
            var free = Legal(g, t);
            Assert.Contains(t.Eos, free);
            g.TargetBars = 2;
            Assert.DoesNotContain(t.Eos, Legal(g, t));
            g.TargetBars = null;
            Assert.Equal(free, Legal(g, t));
            g.TargetBars = 2;
            g.Reset();
            Assert.Null(g.TargetBars);
        }
    }

    [Fact]
    public void SoundingBars_forbids_closing_a_silent_bar_but_lets_the_piece_end_and_reset_clears_it()
    {
        // REMI: BOS Bar opens bar 1; a second Bar would close it silent.
        var t = new RemiTokenizer();
        var g = t.CreateGrammar();
        g.Accept(t.Bos);
        g.Accept(t.TokenId("Bar"));
        Assert.Contains(t.TokenId("Bar"), Legal(g, t));
        g.SoundingBars = true;
        var legal = Legal(g, t);
        Assert.DoesNotContain(t.TokenId("Bar"), legal);
        Assert.Contains(t.Eos, legal);
        foreach (var name in new[] { "Position_0", "Program_0", "Pitch_60", "Velocity_90", "Duration_1" }) g.Accept(t.TokenId(name));
        Assert.Contains(t.TokenId("Bar"), Legal(g, t)); // a note sounds in bar 1
        g.Reset();
        Assert.False(g.SoundingBars);

        // Chorale: a bar's last frame cannot end while no frame of the bar had a pitch.
        var c = TokenizerJson.CreateDefault(ChoraleTokenizer.KindName);
        var cg = c.CreateGrammar();
        cg.Accept(c.Bos);
        cg.SoundingBars = true;
        var frameEnd = c.TokenId("FrameEnd");
        var framesPerBar = 4 * ((ChoraleTokenizer)c).Config.FramesPerQuarter;
        for (var f = 0; f < framesPerBar - 1; f++)
        {
            Assert.Contains(frameEnd, Legal(cg, c));
            cg.Accept(frameEnd);
        }

        Assert.DoesNotContain(frameEnd, Legal(cg, c));
        Assert.Contains(c.Eos, Legal(cg, c));
        cg.SoundingBars = false;
        Assert.Contains(frameEnd, Legal(cg, c));
    }

    [Fact]
    public void An_open_target_holds_the_end_back_until_it_is_made_known()
    {
        var t = new RemiTokenizer();
        var g = t.CreateGrammar();
        g.TargetBars = int.MaxValue;
        foreach (var name in new[] { "BOS", "Bar", "Position_0", "Program_0", "Pitch_60", "Velocity_90", "Duration_1", "Bar" })
        {
            Assert.Contains(t.TokenId(name), Legal(g, t));
            g.Accept(t.TokenId(name));
        }

        Assert.DoesNotContain(t.Eos, Legal(g, t));
        Assert.DoesNotContain(t.TokenId("Bar"), Legal(g, t)); // bar 2 is silent so far
        g.TargetBars = g.Bars;
        Assert.Contains(t.Eos, Legal(g, t));
    }

    [Fact]
    public void Masking_with_a_target_does_not_allocate()
    {
        foreach (var kind in new[] { RemiTokenizer.KindName, ChoraleTokenizer.KindName })
        {
            var t = TokenizerJson.CreateDefault(kind);
            var rng = new Random(3);
            var ids = Walk(t, 3, rng, out _);
            var g = t.CreateGrammar();
            var logits = new float[t.VocabularySize];
            g.TargetBars = 3;
            g.MaskLogits(logits);
            var before = GC.GetAllocatedBytesForCurrentThread();
            foreach (var id in ids)
            {
                g.MaskLogits(logits);
                g.Accept(id);
            }

            Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        }
    }

    /// <summary>Bars from the score's time signatures (4/4 before the first) up to the end of its last note.</summary>
    internal static int BarCount(Score score) => (int)Math.Ceiling(MeterMap.For(score).BarsAt(score.EndTick) - 1e-9);

    /// <summary>
    /// Samples under the grammar with the target set until it is reached, preferring whatever would end or thin the
    /// piece: EOS, Bar/FrameEnd, the longest duration, a time-signature change, then anything.
    /// </summary>
    private static List<int> Walk(IMusicTokenizer t, int target, Random rng, out ITokenGrammar g)
    {
        g = t.CreateGrammar();
        g.Accept(t.Bos);
        g.TargetBars = target;
        var ids = new List<int> { t.Bos };
        while (g.Bars < target)
        {
            Assert.True(ids.Count < 20_000, "the walk does not progress");
            var legal = Legal(g, t);
            Assert.NotEmpty(legal);
            Assert.DoesNotContain(t.Eos, legal);
            int Pick(string prefix, bool last = false)
            {
                var matches = legal.Where(i => t.TokenName(i).StartsWith(prefix, StringComparison.Ordinal)).ToList();
                return matches.Count == 0 ? -1 : last ? matches[^1] : matches[rng.Next(matches.Count)];
            }

            var roll = rng.NextDouble();
            var next = roll < 0.35 ? Pick("Bar") : roll < 0.5 ? Pick("FrameEnd") : roll < 0.7 ? Pick("Duration", last: true) : roll < 0.75 ? Pick("TimeSig") : -1;
            if (next < 0)
            {
                next = legal[rng.Next(legal.Count)];
            }

            g.Accept(next);
            ids.Add(next);
        }

        return ids;
    }

    private static List<int> Legal(ITokenGrammar g, IMusicTokenizer t)
    {
        var logits = new float[t.VocabularySize];
        Array.Fill(logits, 1f);
        g.MaskLogits(logits);
        return [.. Enumerable.Range(0, logits.Length).Where(i => !float.IsNegativeInfinity(logits[i]))];
    }
}
