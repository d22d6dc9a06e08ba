using System.Text.Json;
using MusicGen.Core.Music;

namespace MusicGen.Core.Midi;

/// <summary>Shortcuts between MIDI files and <see cref="Score"/>s, and the <c>musicgen midi dump</c> JSON.</summary>
public static class MidiScore
{
    /// <summary>Reads a MIDI file from disk as a score (lenient by default).</summary>
    /// <exception cref="MidiFormatException">The file cannot be read; the message names the path and byte offset.</exception>
    public static Score Load(string path, MidiReadingSettings? settings = null) =>
        ScoreConverter.ToScore(MidiFile.ReadFile(path, settings));

    /// <summary>Reads MIDI bytes as a score (lenient by default).</summary>
    public static Score Read(ReadOnlySpan<byte> bytes, MidiReadingSettings? settings = null) =>
        ScoreConverter.ToScore(MidiFile.Read(bytes, settings));

    /// <summary>The score as Standard MIDI File bytes.</summary>
    public static byte[] ToBytes(Score score) => ScoreConverter.ToMidi(score).ToBytes();

    /// <summary>Writes the score as a Standard MIDI File.</summary>
    public static void Save(Score score, string path) => File.WriteAllBytes(path, ToBytes(score));

    /// <summary>
    /// The dump JSON: <c>{"format","ticksPerQuarter","tracks":[{"index","name","notes":[{"start","end","channel",
    /// "pitch","velocity"}]}],"tempos":[{"tick","microsecondsPerQuarter"}],"timeSignatures":[{"tick","numerator",
    /// "denominator"}]}</c>, on one line. Tracks in file order, notes by start then pitch, maps by tick.
    /// </summary>
    public static string ToDumpJson(Score score)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        WriteDumpJson(score, buffer);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes the dump JSON (see <see cref="ToDumpJson"/>) as UTF-8.</summary>
    public static void WriteDumpJson(Score score, System.Buffers.IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(score);
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteNumber("format", score.Format);
        w.WriteNumber("ticksPerQuarter", score.TicksPerQuarter);
        w.WriteStartArray("tracks");
        foreach (var t in score.Tracks)
        {
            w.WriteStartObject();
            w.WriteNumber("index", t.Index);
            if (t.Name is null) w.WriteNull("name"); else w.WriteString("name", t.Name);
            w.WriteStartArray("notes");
            foreach (var n in t.Notes)
            {
                w.WriteStartObject();
                w.WriteNumber("start", n.Start);
                w.WriteNumber("end", n.End);
                w.WriteNumber("channel", n.Channel);
                w.WriteNumber("pitch", n.Pitch);
                w.WriteNumber("velocity", n.Velocity);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("tempos");
        foreach (var tc in score.Tempos)
        {
            w.WriteStartObject();
            w.WriteNumber("tick", tc.Tick);
            w.WriteNumber("microsecondsPerQuarter", tc.MicrosecondsPerQuarter);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("timeSignatures");
        foreach (var ts in score.TimeSignatures)
        {
            w.WriteStartObject();
            w.WriteNumber("tick", ts.Tick);
            w.WriteNumber("numerator", ts.Numerator);
            w.WriteNumber("denominator", ts.Denominator);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
