namespace MusicGen.Core.Tokenization;

/// <summary>Configuration of <see cref="RemiTokenizer"/>. Every field that shapes the vocabulary is here.</summary>
public sealed record RemiConfig
{
    /// <summary>Grid positions per quarter note (default 24: 32nd notes and 16th-note triplets).</summary>
    public int PositionsPerQuarter { get; init; } = 24;

    /// <summary>Longest bar in quarter notes; there are <c>MaxBarQuarters * PositionsPerQuarter</c> Position tokens.</summary>
    public int MaxBarQuarters { get; init; } = 8;

    /// <summary>Lowest pitch with a token.</summary>
    public int MinPitch { get; init; }

    /// <summary>Highest pitch with a token.</summary>
    public int MaxPitch { get; init; } = 127;

    /// <summary>Velocity bins; must divide 128 (see <see cref="VelocityBins"/>).</summary>
    public int VelocityBins { get; init; } = 32;

    /// <summary>Slowest tempo token, in quarter notes per minute.</summary>
    public int TempoMinBpm { get; init; } = 20;

    /// <summary>Fastest tempo token, in quarter notes per minute.</summary>
    public int TempoMaxBpm { get; init; } = 250;

    /// <summary>Step between tempo tokens, in BPM.</summary>
    public int TempoStepBpm { get; init; } = 1;

    /// <summary>Time-signature denominators with tokens.</summary>
    public int[] TimeSignatureDenominators { get; init; } = [2, 4, 8, 16];

    /// <summary>Largest time-signature numerator with a token (bars longer than <see cref="MaxBarQuarters"/> have none).</summary>
    public int MaxTimeSignatureNumerator { get; init; } = 16;

    /// <summary>Ticks per quarter of decoded scores; a multiple of <see cref="PositionsPerQuarter"/>.</summary>
    public int TicksPerQuarter { get; init; } = 480;

    /// <summary>Longest note, in quarter notes (longer ones are cut to it, in encoding and decoding).</summary>
    public int MaxNoteQuarters { get; init; } = 256;

    /// <summary>
    /// Key tokens (<c>Key_C</c> .. <c>Key_Bm</c>, 24, after the vocabulary of a configuration without them): the key
    /// of the first bar and each key change, from <see cref="Music.KeyFinder.KeyMap"/>. Off by default; the JSON
    /// names it only when on, so configurations written before it existed read back unchanged.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool KeyTokens { get; init; }

    /// <summary>
    /// Chord tokens (<c>Chord_C</c> .. <c>Chord_Bm7</c>, 84, after the key tokens): the chord
    /// <see cref="Music.ChordRecognizer"/> finds in each harmony segment (half a bar when the time signature's
    /// numerator is even, else the whole bar), written after the segment's first Position when it changes. Off by
    /// default; the JSON names it only when on, so configurations written before it existed read back unchanged.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool ChordTokens { get; init; }

    /// <summary>
    /// Notes that start at one position (with one instrument) are written from the highest pitch down instead of from
    /// the lowest up, so the top voice (in most music the melody) is chosen first and the notes under it after. Same
    /// vocabulary; the grammar then allows only falling or equal pitches at a position. Off by default; the JSON names
    /// it only when on, so configurations written before it existed read back unchanged.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool DescendingPitches { get; init; }

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        if (PositionsPerQuarter is < 1 or > 96)
        {
            throw new ArgumentException($"REMI positionsPerQuarter {PositionsPerQuarter} must be 1..96.");
        }

        if (MaxBarQuarters is < 1 or > 32)
        {
            throw new ArgumentException($"REMI maxBarQuarters {MaxBarQuarters} must be 1..32.");
        }

        if (MinPitch < 0 || MaxPitch > 127 || MinPitch > MaxPitch)
        {
            throw new ArgumentException($"REMI pitch range {MinPitch}..{MaxPitch} must lie within 0..127 and be non-empty.");
        }

        _ = new VelocityBins(VelocityBins);
        if (TempoMinBpm < 1 || TempoMaxBpm < TempoMinBpm || TempoStepBpm < 1 || TempoMaxBpm > 1000)
        {
            throw new ArgumentException($"REMI tempo range {TempoMinBpm}..{TempoMaxBpm} step {TempoStepBpm} BPM is invalid.");
        }

        if (TimeSignatureDenominators is null || TimeSignatureDenominators.Length == 0 ||
            TimeSignatureDenominators.Any(d => d < 1 || d > 64 || (d & (d - 1)) != 0) ||
            TimeSignatureDenominators.Distinct().Count() != TimeSignatureDenominators.Length)
        {
            throw new ArgumentException("REMI timeSignatureDenominators must be distinct powers of two up to 64.");
        }

        if (MaxTimeSignatureNumerator is < 1 or > 64)
        {
            throw new ArgumentException($"REMI maxTimeSignatureNumerator {MaxTimeSignatureNumerator} must be 1..64.");
        }

        if (TicksPerQuarter < PositionsPerQuarter || TicksPerQuarter % PositionsPerQuarter != 0 || TicksPerQuarter > 32767)
        {
            throw new ArgumentException(
                $"REMI ticksPerQuarter {TicksPerQuarter} must be a multiple of positionsPerQuarter {PositionsPerQuarter} (at most 32767).");
        }

        if (MaxNoteQuarters is < 1 or > 4096)
        {
            throw new ArgumentException($"REMI maxNoteQuarters {MaxNoteQuarters} must be 1..4096.");
        }
    }
}
