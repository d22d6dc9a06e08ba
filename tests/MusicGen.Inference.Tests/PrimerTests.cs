using System.Buffers.Binary;
using MusicGen.Core.Limits;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;
using MusicGen.Inference.Errors;

namespace MusicGen.Inference.Tests;

/// <summary>
/// Primers are read strictly unless the request asks for lenient reading: a damaged file is a
/// <see cref="PrimerException"/> with the byte offset and what was wrong; lenient reading lists its repairs; a primer
/// over a limit is an <see cref="InputLimitExceededException"/> naming it, raised before the work it bounds.
/// </summary>
public sealed class PrimerTests
{
    /// <summary>A valid primer: four notes in the chorale test tokenizer's range, written by our writer.</summary>
    private static byte[] GoodPrimer()
    {
        var score = new Score { TicksPerQuarter = 96 };
        var track = new ScoreTrack();
        for (int i = 0; i < 4; i++) track.Notes.Add(new Note(i * 96, i * 96 + 96, 0, 60 + i, 80));
        score.Tracks.Add(track);
        return MidiScore.ToBytes(score);
    }

    private static byte[] WithUInt32(byte[] bytes, int at, uint value)
    {
        var copy = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(at), value);
        return copy;
    }

    private static byte[] WithUInt16(byte[] bytes, int at, ushort value)
    {
        var copy = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(at), value);
        return copy;
    }

    /// <summary>The damaged primers of the bad-input table: name, bytes.</summary>
    public static TheoryData<string> Damaged => ["truncated", "header-only", "track-length-7fffffff", "more-tracks-than-the-file-has"];

    internal static byte[] DamagedPrimer(string name)
    {
        var good = GoodPrimer();
        return name switch
        {
            "truncated" => good[..(good.Length - 7)],
            "header-only" => good[..14],
            "track-length-7fffffff" => WithUInt32(good, 18, 0x7FFFFFFF),
            "more-tracks-than-the-file-has" => WithUInt16(good, 10, 3),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    [Theory]
    [MemberData(nameof(Damaged))]
    public void A_damaged_primer_is_refused_with_its_byte_offset(string name)
    {
        using var model = MusicModel.Load(TestPackages.Transformer());
        var bytes = DamagedPrimer(name);
        var e = Assert.Throws<PrimerException>(() => model.CreateSequence(new GenerationRequest { PrimerMidi = bytes, MaxTokens = 4 }));
        Assert.NotNull(e.Offset);
        Assert.InRange(e.Offset!.Value, 0, bytes.Length);
        Assert.Contains($"at byte {e.Offset}", e.Message);
        Assert.Contains("LenientPrimer", e.Message);
    }

    [Theory]
    [MemberData(nameof(Damaged))]
    public void Lenient_reading_repairs_a_damaged_primer_and_lists_the_repairs(string name)
    {
        using var model = MusicModel.Load(TestPackages.Transformer());
        var sequence = model.CreateSequence(new GenerationRequest { PrimerMidi = DamagedPrimer(name), LenientPrimer = true, MaxTokens = 4, Seed = 1 });
        Assert.NotEmpty(sequence.PrimerRepairs);
        Assert.All(sequence.PrimerRepairs, r => Assert.Matches(@"^byte \d+: \w+: ", r));
        Assert.Equal(sequence.PrimerRepairs, sequence.ToResult().PrimerRepairs);
    }

    [Fact]
    public void A_good_primer_reads_strictly_with_no_repairs()
    {
        using var model = MusicModel.Load(TestPackages.Transformer());
        var sequence = model.CreateSequence(new GenerationRequest { PrimerMidi = GoodPrimer(), MaxTokens = 4, Seed = 1 });
        Assert.Empty(sequence.PrimerRepairs);
        Assert.True(sequence.PromptLength > 1);
    }

    [Fact]
    public void An_empty_primer_file_is_refused()
    {
        using var model = MusicModel.Load(TestPackages.Transformer());
        var e = Assert.Throws<PrimerException>(() => model.CreateSequence(new GenerationRequest { PrimerMidi = [], MaxTokens = 4 }));
        Assert.Equal(0, e.Offset);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void A_primer_over_MaxPrimerBytes_is_refused_before_it_is_read()
    {
        var options = new InferenceOptions { InputLimits = new InputLimits { MaxPrimerBytes = 32 } };
        using var model = MusicModel.Load(TestPackages.Transformer(), options);
        var e = Assert.Throws<InputLimitExceededException>(() => model.CreateSequence(new GenerationRequest { PrimerMidi = GoodPrimer(), MaxTokens = 4 }));
        Assert.Equal(nameof(InputLimits.MaxPrimerBytes), e.Limit);
        Assert.Equal(32, e.Maximum);
    }

    [Fact]
    public void The_one_long_note_primer_is_refused_by_a_limit_with_flat_memory()
    {
        // 1 tick per quarter, one note 0x0FFFFFFF ticks long (the chorale tokenizer once grew to 3.2 GB on it).
        byte[] track = [0x00, 0x90, 60, 100, 0xFF, 0xFF, 0xFF, 0x7F, 0x80, 60, 0, 0x00, 0xFF, 0x2F, 0x00];
        var bytes = new byte[22 + track.Length];
        "MThd"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), 6);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(10), 1);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(12), 1);
        "MTrk"u8.CopyTo(bytes.AsSpan(14));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(18), (uint)track.Length);
        track.CopyTo(bytes, 22);
        using var model = MusicModel.Load(TestPackages.Transformer());
        var request = new GenerationRequest { PrimerMidi = bytes, MaxTokens = 4 };
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InputLimitExceededException>(() => model.CreateSequence(request));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(nameof(InputLimits.MaxTicks), e.Limit);
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated for a {bytes.Length}-byte primer");
    }

    [Theory]
    [MemberData(nameof(Damaged))]
    public void MidiInput_names_its_subject_and_a_lenient_option_only_where_the_caller_offers_one(string name)
    {
        var bytes = DamagedPrimer(name);
        var offered = Assert.Throws<PrimerException>(() => MidiInput.Read(bytes, new InputLimits(), "primer", lenientOption: "LenientPrimer"));
        var none = Assert.Throws<PrimerException>(() => MidiInput.Read(bytes, new InputLimits(), "body"));
        Assert.StartsWith("The body is not a valid MIDI file: ", none.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Lenient", none.Message, StringComparison.Ordinal);
        Assert.Contains("LenientPrimer", offered.Message, StringComparison.Ordinal);
        Assert.Equal(offered.Offset, none.Offset);
    }

    [Fact]
    public void MidiInput_checks_the_score_limits_and_returns_the_file_its_score_and_no_repairs_when_strict()
    {
        var good = GoodPrimer();
        var input = MidiInput.Read(good, new InputLimits(), "primer");
        Assert.Equal(4, input.Score.Tracks.Sum(t => t.Notes.Count));
        Assert.Empty(input.Repairs);
        Assert.NotEmpty(input.File.Tracks);
        var e = Assert.Throws<InputLimitExceededException>(() => MidiInput.Read(good, new InputLimits { MaxNotes = 3 }, "primer"));
        Assert.Equal(nameof(InputLimits.MaxNotes), e.Limit);
    }

    [Fact]
    public void Invalid_limits_fail_option_validation()
    {
        var errors = new InferenceOptions { InputLimits = new InputLimits { MaxNotes = 0 } }.Validate();
        Assert.Contains(errors, e => e.StartsWith("InputLimits.MaxNotes", StringComparison.Ordinal));
    }
}
