using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;
using MusicGen.Inference.Errors;

namespace MusicGen.Inference.Tests;

/// <summary>
/// Honest lengths through the engine: a model pushed towards ending (EOS and Bar favoured) still gives exactly the
/// bars asked for, ends at a bar line, and has notes; an early end is possible only when asked for, and an empty
/// piece is an <see cref="EmptyPieceException"/>, never a silent file.
/// </summary>
public sealed class LengthTests
{
    private static readonly RemiTokenizer Remi = new(new RemiConfig { PositionsPerQuarter = 4 });

    private static string RemiPackage() => TestPackages.Transformer("remi", tokenizer: Remi);

    private static SamplingOptions Eager(IMusicTokenizer t, float eos, float bar = 0) => new()
    {
        TokenBias = bar == 0 ? new Dictionary<int, float> { [t.Eos] = eos } : new Dictionary<int, float> { [t.Eos] = eos, [t.TokenId("Bar")] = bar },
    };

    [Fact]
    public async Task Bars_are_exactly_the_bars_asked_for_even_when_the_model_wants_to_end()
    {
        await using var generator = MusicGenerator.Create(new InferenceOptions { ModelPath = RemiPackage() });
        foreach (var bars in new[] { 1, 4, 7 })
        {
            for (long seed = 1; seed <= 4; seed++)
            {
                var r = await generator.GenerateAsync(new GenerationRequest { Bars = bars, Seed = seed, Sampling = Eager(Remi, eos: 8, bar: 4) });
                Assert.Equal(StopReason.Bars, r.StopReason);
                Assert.True(r.NoteCount > 0);
                Assert.Equal(bars, BarCount(MusicGen.Core.Midi.MidiScore.Read(r.Midi)));
                Assert.Equal(Remi.TokenId("Bar"), r.Tokens[^1]); // it ends at a bar line
            }
        }
    }

    [Fact]
    public async Task Chorale_bars_are_exact_too()
    {
        var tokenizer = TestPackages.Tokenizer();
        await using var generator = MusicGenerator.Create(new InferenceOptions { ModelPath = TestPackages.Transformer() });
        for (long seed = 1; seed <= 4; seed++)
        {
            var r = await generator.GenerateAsync(new GenerationRequest { Bars = 3, Seed = seed, Sampling = Eager(tokenizer, eos: 8) });
            Assert.Equal(StopReason.Bars, r.StopReason);
            Assert.Equal(3, BarCount(r.Score));
        }
    }

    [Fact]
    public async Task Seconds_run_to_the_first_bar_line_at_or_after_them()
    {
        await using var generator = MusicGenerator.Create(new InferenceOptions { ModelPath = RemiPackage() });
        for (long seed = 1; seed <= 4; seed++)
        {
            var r = await generator.GenerateAsync(new GenerationRequest { Seconds = 5, Seed = seed, Sampling = Eager(Remi, eos: 8, bar: 4) });
            Assert.Equal(StopReason.Seconds, r.StopReason);
            Assert.True(r.NoteCount > 0);
            Assert.Equal(Remi.TokenId("Bar"), r.Tokens[^1]);
            var g = Remi.CreateGrammar();
            foreach (var token in r.Tokens) g.Accept(token);
            Assert.True(g.Seconds >= 5, $"seed {seed}: the last bar line is at {g.Seconds} s");
            var before = Remi.CreateGrammar();
            foreach (var token in r.Tokens.AsSpan(0, r.Tokens.Length - 1)) before.Accept(token);
            Assert.True(before.Bars == g.Bars - 1, "it stopped at the first bar line");
        }
    }

    [Fact]
    public async Task An_early_end_happens_only_when_allowed_and_an_empty_piece_is_an_error()
    {
        await using var generator = MusicGenerator.Create(new InferenceOptions { ModelPath = RemiPackage() });
        var held = await generator.GenerateAsync(new GenerationRequest { Bars = 2, Seed = 5, Sampling = Eager(Remi, eos: 50) });
        Assert.Equal(StopReason.Bars, held.StopReason);
        Assert.Equal(2, BarCount(held.Score));

        var request = new GenerationRequest { Bars = 2, Seed = 5, AllowEarlyEnd = true, Sampling = Eager(Remi, eos: 50) };
        var e = await Assert.ThrowsAsync<EmptyPieceException>(() => generator.GenerateAsync(request));
        Assert.Equal(StopReason.EndOfSequence, e.Result.StopReason);
        Assert.Equal(0, e.Result.NoteCount);
        Assert.Contains("no notes", e.Message);
        await Assert.ThrowsAsync<EmptyPieceException>(async () =>
        {
            await foreach (var _ in generator.StreamAsync(request))
            {
            }
        });
    }

    [Fact]
    public async Task Without_a_length_no_bar_is_left_silent_unless_an_early_end_is_allowed()
    {
        await using var generator = MusicGenerator.Create(new InferenceOptions { ModelPath = RemiPackage() });
        int silentWhenAllowed = 0;
        for (long seed = 1; seed <= 4; seed++)
        {
            // Bar strongly favoured, EOS not: a model that wants to write empty bars.
            var held = await generator.GenerateAsync(new GenerationRequest { MaxTokens = 120, Seed = seed, Sampling = Eager(Remi, eos: -20, bar: 3) });
            Assert.True(held.NoteCount > 0);
            Assert.Equal(0, SilentBars(held.Score));
            var free = new GenerationRequest { MaxTokens = 120, Seed = seed, AllowEarlyEnd = true, Sampling = Eager(Remi, eos: -20, bar: 3) };
            int[] tokens;
            try
            {
                tokens = (await generator.GenerateAsync(free)).Tokens;
            }
            catch (EmptyPieceException e)
            {
                tokens = e.Result.Tokens; // nothing but empty bars
            }

            silentWhenAllowed += BarsWithoutAPitch(tokens);
        }

        Assert.True(silentWhenAllowed > 0, "the bias does not produce silent bars, so the test shows nothing");
    }

    /// <summary>Bar tokens closing a bar with no Pitch token in it (a lower bound on the silent bars).</summary>
    private static int BarsWithoutAPitch(int[] tokens)
    {
        int bar = Remi.TokenId("Bar"), count = 0;
        bool open = false, pitch = false;
        foreach (var token in tokens)
        {
            if (token == bar)
            {
                if (open && !pitch) count++;
                open = true;
                pitch = false;
            }
            else if (Remi.TokenName(token).StartsWith("Pitch_", StringComparison.Ordinal))
            {
                pitch = true;
            }
        }

        return count;
    }

    /// <summary>Bars (before the last note's end) in which no note sounds.</summary>
    private static int SilentBars(Score score)
    {
        var meter = MeterMap.For(score);
        int bars = BarCount(score);
        var sounding = new bool[bars];
        foreach (var note in score.AllNotes)
        {
            int first = (int)Math.Floor(meter.BarsAt(note.Start) + 1e-9);
            int last = (int)Math.Ceiling(meter.BarsAt(note.End) - 1e-9) - 1;
            for (int b = Math.Max(0, first); b <= Math.Min(bars - 1, last); b++) sounding[b] = true;
        }

        return sounding.Count(s => !s);
    }

    /// <summary>Bars from the time signatures (4/4 before the first) up to the end of the last note.</summary>
    private static int BarCount(Score score) => (int)Math.Ceiling(MeterMap.For(score).BarsAt(score.EndTick) - 1e-9);
}
