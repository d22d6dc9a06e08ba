using CsCheck;
using MusicGen.Core.Tokenization;

namespace MusicGen.Core.Tests.Tokenization;

public class ChoraleTokenizerTests
{
    private static readonly Gen<int[][]> Frames =
        Gen.Int[21, 108].Array[0, 6].Select(f => f.Distinct().OrderBy(p => p).ToArray()).Array[0, 40];

    [Fact]
    public void Frames_and_token_runs_are_a_bijection()
    {
        var t = new ChoraleTokenizer();
        Frames.Sample(frames =>
        {
            var ids = t.EncodeFrames(frames);
            Assert.Equal(t.Bos, ids[0]);
            Assert.Equal(t.Eos, ids[^1]);
            Assert.Equal(frames.Length, ids.Count(i => i == t.FrameEnd));
            var back = t.DecodeFrames(ids);
            Assert.Equal(frames.Length, back.Count);
            for (var i = 0; i < frames.Length; i++)
            {
                Assert.Equal(frames[i], back[i]);
            }
        }, iter: 300);
    }

    [Fact]
    public void Score_round_trip_reproduces_frames_with_held_notes_merged()
    {
        var t = new ChoraleTokenizer();
        int[][] frames = [[48, 60, 64, 67], [48, 60, 64, 67], [], [50, 62]];
        var score = t.FramesToScore(frames);
        Assert.Equal(4 + 2, score.Tracks[0].Notes.Count); // 48/60/64/67 held over two frames, then 50 and 62
        Assert.Equal(960, score.Tracks[0].Notes[0].End);
        var again = t.Decode(t.Encode(score));
        Assert.Equal(score.Tracks[0].Notes, again.Tracks[0].Notes);
        Assert.Equal(frames, t.ScoreToFrames(score).ToArray());
    }

    [Fact]
    public void Json_rebuilds_the_same_vocabulary()
    {
        var t = new ChoraleTokenizer(new ChoraleConfig { MinPitch = 30, MaxPitch = 90, FramesPerQuarter = 4 });
        var back = (ChoraleTokenizer)TokenizerJson.FromJson(t.ToJson());
        Assert.Equal(t.Config, back.Config);
        Assert.Equal(t.VocabularySize, back.VocabularySize);
        for (var i = 0; i < t.VocabularySize; i++)
        {
            Assert.Equal(t.TokenName(i), back.TokenName(i));
        }

        Assert.Equal("Pitch_60", t.TokenName(t.TokenId("Pitch_60")));
        Assert.Throws<KeyNotFoundException>(() => t.TokenId("Pitch_20"));
    }

    [Fact]
    public void Json_with_a_different_vocabulary_is_rejected()
    {
        var json = new ChoraleTokenizer().ToJson().Replace("\"Pitch_60\"", "\"Pitch_600\"", StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => TokenizerJson.FromJson(json));
    }

    [Fact]
    public void Grammar_sampled_sequences_are_canonical()
    {
        var t = new ChoraleTokenizer();
        var g = t.CreateGrammar();
        var rng = new Random(7);
        var logits = new float[t.VocabularySize + 3];
        for (var run = 0; run < 50; run++)
        {
            g.Reset();
            var ids = new List<int>();
            while (!g.IsFinished && ids.Count < 300)
            {
                Array.Fill(logits, 0f);
                g.MaskLogits(logits);
                var legal = Enumerable.Range(0, logits.Length).Where(i => !float.IsNegativeInfinity(logits[i])).ToArray();
                Assert.NotEmpty(legal);
                Assert.All(legal, i => Assert.True(i < t.VocabularySize));
                // Favour ending frames so sequences stay short.
                var next = legal.Contains(t.FrameEnd) && rng.NextDouble() < 0.3 ? t.FrameEnd : legal[rng.Next(legal.Length)];
                g.Accept(next);
                ids.Add(next);
            }

            if (!g.IsFinished)
            {
                continue;
            }

            var frames = t.DecodeFrames(ids.ToArray());
            Assert.Equal(ids, t.EncodeFrames(frames));
            Assert.Equal(frames.Count * 0.5, g.Seconds);
        }
    }

    [Fact]
    public void Decoding_is_total()
    {
        var t = new ChoraleTokenizer();
        Gen.Int[-5, t.VocabularySize + 5].Array[0, 200].Sample(ids =>
        {
            var score = t.Decode(ids);
            Assert.All(score.AllNotes, n => Assert.True(n.End > n.Start));
        }, iter: 500);
    }
}
