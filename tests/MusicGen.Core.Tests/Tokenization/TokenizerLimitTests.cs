using MusicGen.Core.Limits;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;
using MusicGen.Core.Tests.Midi;
using MusicGen.Core.Tokenization;

namespace MusicGen.Core.Tests.Tokenization;

/// <summary>
/// Every tokenizer refuses a score over an <see cref="InputLimits"/> bound with <see cref="InputLimitExceededException"/>
/// naming the bound, before the work it bounds allocates (checked with the bytes this thread allocated).
/// </summary>
public sealed class TokenizerLimitTests
{
    public static TheoryData<string> Kinds => ["remi", "performance", "chorale"];

    private static Score OneNote(int ticksPerQuarter, long start, long end)
    {
        var score = new Score { TicksPerQuarter = ticksPerQuarter };
        var track = new ScoreTrack();
        track.Notes.Add(new Note(start, end, 0, 60, 80));
        score.Tracks.Add(track);
        return score;
    }

    private static (InputLimitExceededException Error, long Allocated) Refuse(Action encode)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InputLimitExceededException>(encode);
        return (e, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Too_many_notes_name_MaxNotes(string kind)
    {
        var tokenizer = TokenizerJson.CreateDefault(kind);
        var score = OneNote(96, 0, 96);
        for (int i = 1; i <= 10; i++) score.Tracks[0].Notes.Add(new Note(i * 96, i * 96 + 48, 0, 62, 80));
        var (e, _) = Refuse(() => tokenizer.Encode(score, new InputLimits { MaxNotes = 10 }));
        Assert.Equal(nameof(InputLimits.MaxNotes), e.Limit);
        Assert.Equal(10, e.Maximum);
        Assert.NotEmpty(tokenizer.Encode(score, new InputLimits { MaxNotes = 11 }));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_note_ending_past_MaxTicks_is_refused_without_allocating(string kind)
    {
        var tokenizer = TokenizerJson.CreateDefault(kind);
        var score = OneNote(1, 0, 0x0FFFFFFF); // the longest a MIDI delta time can make it in one event
        var (e, allocated) = Refuse(() => tokenizer.Encode(score));
        Assert.Equal(nameof(InputLimits.MaxTicks), e.Limit);
        Assert.Equal(0x0FFFFFFF, e.Actual);
        Assert.True(allocated < 64 * 1024, $"{allocated} bytes allocated before refusing");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_score_longer_than_MaxFrames_on_the_grid_is_refused_without_allocating(string kind)
    {
        var tokenizer = TokenizerJson.CreateDefault(kind);
        // 50 M ticks at 1 tick per quarter: within MaxTicks, but 50 M quarters on any tokenizer's grid.
        var score = OneNote(1, 0, 50_000_000);
        var (e, allocated) = Refuse(() => tokenizer.Encode(score));
        Assert.Equal(nameof(InputLimits.MaxFrames), e.Limit);
        Assert.True(e.Actual > InputLimits.Default.MaxFrames);
        Assert.True(allocated < 64 * 1024, $"{allocated} bytes allocated before refusing");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_score_within_the_limits_encodes(string kind)
    {
        var tokenizer = TokenizerJson.CreateDefault(kind);
        var ids = tokenizer.Encode(OneNote(480, 0, 480), new InputLimits { MaxNotes = 1, MaxTicks = 480, MaxFrames = 1_000 });
        Assert.Equal(tokenizer.Bos, ids[0]);
        Assert.Equal(tokenizer.Eos, ids[^1]);
        Assert.Single(tokenizer.Decode(ids).AllNotes);
    }

    [Fact]
    public void A_crowded_remi_bar_names_MaxTokensPerBar()
    {
        var tokenizer = TokenizerJson.CreateDefault("remi");
        var score = new Score { TicksPerQuarter = 96 };
        var track = new ScoreTrack();
        for (int p = 40; p < 100; p++) track.Notes.Add(new Note(0, 96, 0, p, 80));
        score.Tracks.Add(track);
        var e = Assert.Throws<InputLimitExceededException>(() => tokenizer.Encode(score, new InputLimits { MaxTokensPerBar = 64 }));
        Assert.Equal(nameof(InputLimits.MaxTokensPerBar), e.Limit);
        Assert.Contains("bar 1", e.Message);
        Assert.NotEmpty(tokenizer.Encode(score, new InputLimits { MaxTokensPerBar = 1_000 }));
    }

    [Fact]
    public void The_chorale_primer_that_grew_to_gigabytes_fails_with_flat_memory()
    {
        // A tiny MIDI file at 1 tick per quarter whose one note lasts 0x0FFFFFFF ticks: the chorale tokenizer once made
        // a frame set per quarter of it (3.2 GB, then OutOfMemory). Now: read, refused by MaxTicks, a few KB.
        byte[] bytes = Smf.File(0, 1, [0x00, 0x90, 60, 100, 0xFF, 0xFF, 0xFF, 0x7F, 0x80, 60, 0, 0x00, 0xFF, 0x2F, 0x00]);
        var tokenizer = TokenizerJson.CreateDefault("chorale");
        long before = GC.GetAllocatedBytesForCurrentThread();
        var score = MidiScore.Read(bytes);
        var e = Assert.Throws<InputLimitExceededException>(() => tokenizer.Encode(score));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(nameof(InputLimits.MaxTicks), e.Limit);
        Assert.True(allocated < 256 * 1024, $"{allocated} bytes allocated for a {bytes.Length}-byte file");
    }

    [Fact]
    public void Limits_reject_non_positive_values()
    {
        var errors = new InputLimits { MaxNotes = 0, MaxFrames = -1, MaxTokensPerBar = 4 }.Validate();
        Assert.Equal(3, errors.Count);
        Assert.Empty(InputLimits.Default.Validate());
    }
}
