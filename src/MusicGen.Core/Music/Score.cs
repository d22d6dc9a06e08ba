namespace MusicGen.Core.Music;

/// <summary>A sounding note: start and end in ticks (end &gt;= start; zero-length notes read from files are kept,
/// as an event-level reader sees them), MIDI channel 0-15, pitch 0-127, velocity 1-127.</summary>
public readonly record struct Note(long Start, long End, int Channel, int Pitch, int Velocity)
{
    /// <summary>Length in ticks.</summary>
    public long Duration => End - Start;
}

/// <summary>A tempo change at a tick, in microseconds per quarter note (500,000 = 120 BPM).</summary>
public readonly record struct TempoChange(long Tick, int MicrosecondsPerQuarter)
{
    /// <summary>Tempo in quarter notes per minute.</summary>
    public double BeatsPerMinute => 60_000_000.0 / MicrosecondsPerQuarter;
}

/// <summary>A time signature at a tick; <see cref="Denominator"/> is the note value (4 = quarter), not its power of two.</summary>
public readonly record struct TimeSignature(long Tick, int Numerator, int Denominator);

/// <summary>A key signature at a tick: <see cref="SharpsFlats"/> from -7 (7 flats) to 7 (7 sharps).</summary>
public readonly record struct KeySignature(long Tick, int SharpsFlats, bool IsMinor);

/// <summary>One track of a <see cref="Score"/>: its notes and instrument.</summary>
public sealed class ScoreTrack
{
    /// <summary>Index of the track in its file (every MTrk counts, empty ones too).</summary>
    public int Index { get; set; }

    /// <summary>Track name, or null when the track has none.</summary>
    public string? Name { get; set; }

    /// <summary>General MIDI program 0-127 (the track's first Program Change; 0 when none).</summary>
    public int Program { get; set; }

    /// <summary>True for a percussion track (notes on MIDI channel 10, index 9).</summary>
    public bool IsDrum { get; set; }

    /// <summary>Notes sorted by start, then pitch.</summary>
    public List<Note> Notes { get; } = [];
}

/// <summary>
/// The musical view of a piece: tracks of notes plus the tempo, time- and key-signature maps, on a tick grid of
/// <see cref="TicksPerQuarter"/> ticks per quarter note.
/// </summary>
public sealed class Score
{
    /// <summary>Ticks per quarter note (the MIDI division).</summary>
    public int TicksPerQuarter { get; set; } = 480;

    /// <summary>Standard MIDI File format the score came from or will be written as (0, 1 or 2).</summary>
    public int Format { get; set; } = 1;

    /// <summary>Tracks in file order.</summary>
    public List<ScoreTrack> Tracks { get; } = [];

    /// <summary>Tempo changes sorted by tick.</summary>
    public List<TempoChange> Tempos { get; } = [];

    /// <summary>Time signatures sorted by tick.</summary>
    public List<TimeSignature> TimeSignatures { get; } = [];

    /// <summary>Key signatures sorted by tick.</summary>
    public List<KeySignature> KeySignatures { get; } = [];

    /// <summary>All notes of all tracks.</summary>
    public IEnumerable<Note> AllNotes => Tracks.SelectMany(t => t.Notes);

    /// <summary>Tick of the last note end (0 for an empty score).</summary>
    public long EndTick => Tracks.Count == 0 ? 0 : Tracks.Max(t => t.Notes.Count == 0 ? 0 : t.Notes.Max(n => n.End));
}
