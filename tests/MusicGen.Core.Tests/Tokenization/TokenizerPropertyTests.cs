using CsCheck;
using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;

namespace MusicGen.Core.Tests.Tokenization;

public class TokenizerPropertyTests
{
    /// <summary>
    /// Every kind, plus REMI with key tokens (<c>remi+keys</c>), with key and chord tokens (<c>remi+keys+chords</c>)
    /// and with pitches written from the top down (<c>remi+descending</c>).
    /// </summary>
    public static TheoryData<string> Kinds => new([.. TokenizerJson.Kinds, RemiWithKeys, RemiWithKeysAndChords, RemiDescending]);

    private const string RemiWithKeys = "remi+keys";
    private const string RemiWithKeysAndChords = "remi+keys+chords";
    private const string RemiDescending = "remi+descending";

    private static IMusicTokenizer Create(string kind) => kind switch
    {
        RemiWithKeys => new RemiTokenizer(new RemiConfig { KeyTokens = true }),
        RemiWithKeysAndChords => new RemiTokenizer(new RemiConfig { KeyTokens = true, ChordTokens = true }),
        RemiDescending => new RemiTokenizer(new RemiConfig { DescendingPitches = true }),
        _ => TokenizerJson.CreateDefault(kind),
    };

    [Fact]
    public void A_bar_cut_without_a_signature_change_runs_its_full_length()
    {
        // Found by Decoding_random_sequences_never_throws: a cut bar restated with the same signature put a key
        // change on a bar line that re-encoding (bars from the signature map) does not have.
        var t = new RemiTokenizer(new RemiConfig { KeyTokens = true });
        var velocity = t.Vocabulary.Names.First(n => n.StartsWith("Velocity_", StringComparison.Ordinal));
        string[] names = ["BOS", "Bar", "TimeSig_4/4", "Key_C", "Position_10", "Bar", "Key_D", "Position_0", "Pitch_60", velocity, "Duration_1", "EOS"];
        var score = t.Decode([.. names.Select(t.TokenId)]);
        var note = Assert.Single(score.AllNotes);
        Assert.Equal(4 * score.TicksPerQuarter, note.Start);
        Assert.True(RoundTrip.Measure(t, score).Exact);

        // Where the signature does change, the bar is cut.
        names[5 + 1] = "TimeSig_3/4";
        var cut = t.Decode([.. names.Select(t.TokenId)]);
        Assert.Equal(10 * score.TicksPerQuarter / 24, Assert.Single(cut.AllNotes).Start);
        Assert.True(RoundTrip.Measure(t, cut).Exact);
    }

    [Fact]
    public void Remi_round_trip_is_exact_on_grid()
    {
        var t = new RemiTokenizer();
        ScoreGen.RemiOnGrid(t).Sample(score =>
        {
            var r = RoundTrip.Measure(t, score);
            Assert.True(r.Exact, $"{r}");
        }, iter: 300);
    }

    [Fact]
    public void Remi_round_trip_is_within_half_a_step_off_grid()
    {
        var t = new RemiTokenizer();
        var gen = Gen.Select(Gen.Int[0, 100_000], Gen.Int[1, 5000], Gen.Int[0, 127], Gen.Int[1, 127]).Array[1, 40];
        gen.Sample(notes =>
        {
            var score = new Score { TicksPerQuarter = 480 };
            var tr = new ScoreTrack();
            tr.Notes.AddRange(notes.Select(n => new Note(n.Item1, n.Item1 + n.Item2, 0, n.Item3, n.Item4)));
            score.Tracks.Add(tr);
            var r = RoundTrip.Measure(t, score);
            Assert.True(r.WithinGrid, $"{r}");
            Assert.True(r.MaxOnsetError <= 0.5 + 1e-9, $"{r}");
            Assert.True(r.MaxVelocityError <= 2, $"{r}");
        }, iter: 200);
    }

    [Fact]
    public void Performance_round_trip_is_exact_on_grid()
    {
        var t = new PerformanceTokenizer();
        ScoreGen.PerformanceOnGrid(t).Sample(score =>
        {
            var r = RoundTrip.Measure(t, score);
            Assert.True(r.Exact, $"{r}");
            Assert.Equal(0, r.MaxOnsetError);
        }, iter: 300);
    }

    [Fact]
    public void Remi_handles_a_time_signature_change_in_the_middle_of_a_bar()
    {
        var t = new RemiTokenizer();
        var score = new Score { TicksPerQuarter = 1024 };
        score.TimeSignatures.Add(new TimeSignature(0, 4, 4));
        score.TimeSignatures.Add(new TimeSignature(3 * 1024, 3, 4)); // cuts bar 0 after three quarters
        score.TimeSignatures.Add(new TimeSignature(3 * 1024, 3, 4)); // duplicate from a second track
        var tr = new ScoreTrack();
        tr.Notes.Add(new Note(0, 1024, 0, 60, 90));
        tr.Notes.Add(new Note(3 * 1024, 4 * 1024, 0, 62, 90));
        tr.Notes.Add(new Note(6 * 1024 + 683, 7 * 1024, 0, 64, 90)); // a triplet position
        score.Tracks.Add(tr);
        var ids = t.Encode(score);
        var names = ids.Select(t.TokenName).ToList();
        Assert.Contains("Position_72", names); // the bare cut position
        Assert.True(RoundTrip.Measure(t, score).Exact);
        var decoded = t.Decode(ids);
        Assert.Equal([new TimeSignature(0, 4, 4), new TimeSignature(1440, 3, 4)], decoded.TimeSignatures);
    }

    [Fact]
    public void Remi_names_follow_the_documented_scheme()
    {
        var t = new RemiTokenizer();
        foreach (var name in new[] { "Bar", "Position_12", "Pitch_60", "Velocity_90", "Duration_1/2", "Duration_3", "Tempo_120", "TimeSig_3/4", "TimeSig_6/8", "Program_0", "Program_Drums", "PAD", "BOS", "EOS" })
        {
            Assert.Equal(name, t.TokenName(t.TokenId(name)));
        }

        var p = new PerformanceTokenizer();
        foreach (var name in new[] { "NoteOn_60", "NoteOff_60", "TimeShift_10ms", "TimeShift_120ms", "TimeShift_1000ms", "Velocity_90" })
        {
            Assert.Equal(name, p.TokenName(p.TokenId(name)));
        }

        Assert.Equal(100, p.Vocabulary.Names.Count(n => n.StartsWith("TimeShift_", StringComparison.Ordinal)));
    }

    [Fact]
    public void Drums_keep_their_own_program_and_channel_10()
    {
        var t = new RemiTokenizer();
        var score = new Score { TicksPerQuarter = 480 };
        var drums = new ScoreTrack { IsDrum = true, Program = 0 };
        drums.Notes.Add(new Note(0, 240, 9, 36, 126));
        var piano = new ScoreTrack { Program = 0 };
        piano.Notes.Add(new Note(0, 480, 0, 60, 90));
        score.Tracks.Add(drums);
        score.Tracks.Add(piano);
        var decoded = t.Decode(t.Encode(score));
        var d = Assert.Single(decoded.Tracks, tr => tr.IsDrum);
        Assert.Equal(9, d.Notes[0].Channel);
        Assert.Single(decoded.Tracks, tr => !tr.IsDrum);
        Assert.True(RoundTrip.Measure(t, score).Exact);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Json_rebuilds_identical_ids(string kind)
    {
        var t = Create(kind);
        var json = t.ToJson();
        var back = TokenizerJson.FromJson(json);
        Assert.Equal(t.Kind, back.Kind);
        Assert.Equal(t.VocabularySize, back.VocabularySize);
        Assert.Equal(json, back.ToJson());
        for (var i = 0; i < t.VocabularySize; i++)
        {
            Assert.Equal(t.TokenName(i), back.TokenName(i));
            Assert.Equal(i, back.TokenId(t.TokenName(i)));
        }
    }

    [Fact]
    public void Json_with_a_custom_configuration_rebuilds_it()
    {
        var t = new RemiTokenizer(new RemiConfig { PositionsPerQuarter = 12, VelocityBins = 16, TempoStepBpm = 4, TimeSignatureDenominators = [4, 8] });
        var back = (RemiTokenizer)TokenizerJson.FromJson(t.ToJson());
        Assert.Equal(12, back.Config.PositionsPerQuarter);
        Assert.Equal([4, 8], back.Config.TimeSignatureDenominators);
        Assert.Equal(t.Vocabulary.Names, back.Vocabulary.Names);
        Assert.Throws<FormatException>(() => TokenizerJson.FromJson("{\"kind\":\"nope\"}"));
        Assert.Throws<FormatException>(() => TokenizerJson.FromJson("{\"kind\":\"remi\",\"positionsPerQuarter\":7}"));
        Assert.Throws<FormatException>(() => TokenizerJson.FromJson("not json"));
    }

    [Theory]
    [InlineData("""{"kind": "remi", "version": 1, "melodyFirst": true}""", "melodyFirst")]
    [InlineData("""{"kind": "performance", "version": 1, "velocityBins": 32, "pedal": true}""", "pedal")]
    [InlineData("""{"kind": "chorale", "version": 1, "voices": 4}""", "voices")]
    public void A_setting_this_build_does_not_know_is_refused_by_name(string json, string name)
    {
        // A package from a newer build must not load and then encode, decode and mask by other rules.
        var e = Assert.Throws<FormatException>(() => TokenizerJson.FromJson(json));
        Assert.Contains($"'{name}' is not a setting this build knows", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Decoding_random_sequences_never_throws(string kind)
    {
        var t = Create(kind);
        var gen = Gen.Int[-3, t.VocabularySize + 3].Array[0, 300];
        gen.Sample(ids =>
        {
            var score = t.Decode(ids);
            Assert.All(score.AllNotes, n =>
            {
                Assert.True(n.End > n.Start && n.Start >= 0);
                Assert.InRange(n.Pitch, 0, 127);
                Assert.InRange(n.Velocity, 1, 127);
                Assert.InRange(n.Channel, 0, 15);
            });
            // Re-encoding a decoded score is a fixed point of the score.
            var again = t.Decode(t.Encode(score));
            Assert.True(RoundTrip.Measure(t, score).Exact);
            Assert.Equal(score.AllNotes.Count(), again.AllNotes.Count());
        }, iter: 400);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Sequences_sampled_under_the_grammar_decode_consistently(string kind)
    {
        var t = Create(kind);
        var g = t.CreateGrammar();
        var rng = new Random(11);
        var logits = new float[t.VocabularySize + 2];
        var legal = new List<int>();
        var finished = 0;
        for (var run = 0; run < 60; run++)
        {
            g.Reset();
            var ids = new List<int>();
            while (!g.IsFinished && ids.Count < 600)
            {
                Array.Fill(logits, 1f);
                g.MaskLogits(logits);
                legal.Clear();
                for (var i = 0; i < logits.Length; i++)
                {
                    if (!float.IsNegativeInfinity(logits[i]))
                    {
                        Assert.True(i < t.VocabularySize);
                        legal.Add(i);
                    }
                }

                Assert.NotEmpty(legal);
                // Prefer structural tokens now and then so pieces move forward and end.
                var next = legal[rng.Next(legal.Count)];
                if (ids.Count > 250)
                {
                    // Wind down: end, else close notes/frames, else anything.
                    foreach (var prefix in new[] { "EOS", "NoteOff", "FrameEnd", "Duration", "Bar" })
                    {
                        var closing = legal.FindIndex(i => t.TokenName(i).StartsWith(prefix, StringComparison.Ordinal));
                        if (closing >= 0)
                        {
                            next = legal[closing];
                            break;
                        }
                    }
                }

                g.Accept(next);
                ids.Add(next);
            }

            if (!g.IsFinished)
            {
                continue;
            }

            finished++;
            var score = t.Decode(ids.ToArray());
            var reencoded = t.Encode(score);
            var r = RoundTrip.Measure(t, score);
            Assert.True(r.Exact, $"{kind}: {r} for {string.Join(' ', ids.Select(t.TokenName))}");

            // Every token the grammar allowed was used by the decoder: re-encoding gives the same notes count.
            Assert.Equal(score.AllNotes.Count(), t.Decode(reencoded).AllNotes.Count());
            if (t.Kind != RemiTokenizer.KindName)
            {
                Assert.Equal(ids, reencoded); // performance and chorale grammars are exactly canonical
            }
        }

        Assert.True(finished > 10, $"only {finished} sampled sequences finished");
    }

    [Fact]
    public void Grammar_tracks_bars_and_seconds()
    {
        var t = new RemiTokenizer();
        var g = t.CreateGrammar();
        foreach (var name in new[] { "BOS", "Bar", "TimeSig_3/4", "Position_0", "Tempo_60", "Program_0", "Pitch_60", "Velocity_90", "Duration_1", "Bar", "Position_24" })
        {
            g.Accept(t.TokenId(name));
        }

        Assert.Equal(1, g.Bars);
        Assert.Equal(4.0, g.Seconds, 6); // three quarters at 60 BPM, then one more
        g.Accept(t.Eos);
        Assert.True(g.IsFinished);
        Assert.Equal(2, g.Bars);

        var p = new PerformanceTokenizer();
        var pg = p.CreateGrammar();
        foreach (var name in new[] { "BOS", "Velocity_90", "NoteOn_60", "TimeShift_1000ms", "TimeShift_500ms", "NoteOff_60" })
        {
            pg.Accept(p.TokenId(name));
        }

        Assert.Equal(1.5, pg.Seconds, 6);
    }

    [Fact]
    public void Masking_does_not_allocate()
    {
        foreach (var kind in TokenizerJson.Kinds)
        {
            var t = TokenizerJson.CreateDefault(kind);
            var g = t.CreateGrammar();
            var logits = new float[t.VocabularySize];
            var ids = t.Encode(SmallScore());
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

    private static Score SmallScore()
    {
        var score = new Score { TicksPerQuarter = 480 };
        score.Tempos.Add(new TempoChange(0, 600_000));
        score.TimeSignatures.Add(new TimeSignature(0, 3, 4));
        var tr = new ScoreTrack();
        for (var i = 0; i < 40; i++)
        {
            tr.Notes.Add(new Note(i * 240, (i * 240) + 360, 0, 48 + (i * 7 % 36), 60 + i));
            tr.Notes.Add(new Note(i * 240, (i * 240) + 480, 0, 60 + (i * 5 % 24), 80));
        }

        score.Tracks.Add(tr);
        return score;
    }
}
