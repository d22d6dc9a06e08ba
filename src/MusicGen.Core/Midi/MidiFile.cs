namespace MusicGen.Core.Midi;

/// <summary>One MTrk chunk: events in tick order, normally ending with End of Track.</summary>
public sealed class MidiTrack
{
    /// <summary>Events, sorted by <see cref="MidiEvent.Tick"/> (non-decreasing).</summary>
    public List<MidiEvent> Events { get; } = [];

    /// <summary>Text of the first Track Name meta event, or null.</summary>
    public string? Name
    {
        get
        {
            foreach (var e in Events)
                if (e.Status == 0xFF && e.Data1 == (byte)MidiMetaType.TrackName) return e.DataText;
            return null;
        }
    }

    /// <summary>Tick of the last event (the End of Track tick for a complete track), 0 when empty.</summary>
    public long EndTick => Events.Count == 0 ? 0 : Events[^1].Tick;
}

/// <summary>
/// A Standard MIDI File: format 0, 1 or 2, a division (ticks per quarter note, or SMPTE frames per second and
/// ticks per frame) and its tracks. Read with <see cref="Read"/>/<see cref="ReadFile"/>, write with
/// <see cref="ToBytes"/>/<see cref="WriteFile"/>.
/// </summary>
public sealed class MidiFile
{
    private int _format = 1;
    private int _division = 480;

    /// <summary>An empty file.</summary>
    public MidiFile(int format = 1, int ticksPerQuarter = 480)
    {
        Format = format;
        if (ticksPerQuarter is < 1 or > 0x7FFF) throw new ArgumentOutOfRangeException(nameof(ticksPerQuarter), ticksPerQuarter, "ticks per quarter must be 1..32767");
        _division = ticksPerQuarter;
    }

    /// <summary>File format: 0 (one track), 1 (simultaneous tracks) or 2 (independent sequences).</summary>
    public int Format
    {
        get => _format;
        set => _format = value is >= 0 and <= 2 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "format must be 0, 1 or 2");
    }

    /// <summary>The raw 16-bit division word of the header: ticks per quarter (top bit clear), or SMPTE (top bit set).</summary>
    public int Division
    {
        get => _division;
        set => _division = IsValidDivision(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "division must be 1..32767 ticks per quarter, or an SMPTE word with -24/-25/-29/-30 fps and ticks per frame > 0");
    }

    /// <summary>True when the division is SMPTE-based (frames per second and ticks per frame).</summary>
    public bool IsSmpte => (_division & 0x8000) != 0;

    /// <summary>Ticks per quarter note (0 for an SMPTE division).</summary>
    public int TicksPerQuarter => IsSmpte ? 0 : _division;

    /// <summary>SMPTE frames per second (24, 25, 29 meaning 29.97 drop-frame, or 30); 0 for a ticks-per-quarter division.</summary>
    public int SmpteFramesPerSecond => IsSmpte ? -(sbyte)(_division >> 8) : 0;

    /// <summary>SMPTE ticks per frame; 0 for a ticks-per-quarter division.</summary>
    public int SmpteTicksPerFrame => IsSmpte ? _division & 0xFF : 0;

    /// <summary>Tracks in file order.</summary>
    public List<MidiTrack> Tracks { get; } = [];

    /// <summary>Repairs made by a lenient read (at most <see cref="MidiReadingSettings.MaxRecordedRepairs"/>).</summary>
    public IReadOnlyList<MidiRepair> Repairs { get; internal set; } = [];

    /// <summary>Number of repairs made by a lenient read (all of them, including those not recorded).</summary>
    public int RepairCount { get; internal set; }

    /// <summary>Reads a Standard MIDI File from bytes.</summary>
    /// <exception cref="MidiFormatException">The bytes are not a readable MIDI file under <paramref name="settings"/>.</exception>
    public static MidiFile Read(ReadOnlySpan<byte> bytes, MidiReadingSettings? settings = null) =>
        MidiReader.Read(bytes, settings ?? MidiReadingSettings.Lenient);

    /// <summary>Reads a Standard MIDI File from disk; a format problem names the path.</summary>
    /// <exception cref="MidiFormatException">The file is not a readable MIDI file under <paramref name="settings"/>.</exception>
    public static MidiFile ReadFile(string path, MidiReadingSettings? settings = null)
    {
        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            return Read(bytes, settings);
        }
        catch (MidiFormatException e) when (e.FilePath is null)
        {
            throw e.WithPath(path);
        }
    }

    /// <summary>The file as Standard MIDI File bytes (End of Track always written, running status used).</summary>
    public byte[] ToBytes() => MidiWriter.Write(this);

    /// <summary>Writes the file to disk.</summary>
    public void WriteFile(string path) => File.WriteAllBytes(path, ToBytes());

    internal static bool IsValidDivision(int division)
    {
        if (division is < 1 or > 0xFFFF) return false;
        if ((division & 0x8000) == 0) return true;
        int fps = -(sbyte)(division >> 8);
        return fps is 24 or 25 or 29 or 30 && (division & 0xFF) > 0;
    }

    internal void SetDivisionUnchecked(int division) => _division = division;
}
