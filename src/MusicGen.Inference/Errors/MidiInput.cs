using System.Globalization;
using MusicGen.Core.Limits;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;

namespace MusicGen.Inference.Errors;

/// <summary>
/// A MIDI file a client sent (a generation request's primer, the body of a render request), read and checked: the one
/// place that decides what such a file may be. Not empty, at most <see cref="InputLimits.MaxPrimerBytes"/>, read
/// strictly unless lenient reading is asked for, at most <see cref="InputLimits.MaxNotes"/> notes and
/// <see cref="InputLimits.MaxTicks"/> ticks.
/// </summary>
public sealed class MidiInput
{
    private MidiInput(MidiFile file, Score score, IReadOnlyList<string> repairs)
    {
        File = file;
        Score = score;
        Repairs = repairs;
    }

    /// <summary>The file as read.</summary>
    public MidiFile File { get; }

    /// <summary>The file's notes, tempo, meter and key maps.</summary>
    public Score Score { get; }

    /// <summary>What lenient reading repaired, one line each with its byte offset (empty when read strictly).</summary>
    public IReadOnlyList<string> Repairs { get; }

    /// <summary>Reads <paramref name="bytes"/> and checks it against <paramref name="limits"/>.</summary>
    /// <param name="bytes">The file.</param>
    /// <param name="limits">The bounds in force.</param>
    /// <param name="subject">What the file is, as the error messages name it ("primer", "MIDI file").</param>
    /// <param name="lenient">Repair what can be repaired instead of refusing the file.</param>
    /// <param name="lenientOption">The option that asks for lenient reading, named in the error when strict reading
    /// refuses a file it could repair; <see langword="null"/> where the caller offers none.</param>
    /// <exception cref="PrimerException">Empty, or damaged (the reader's byte offset and what it expected and found).</exception>
    /// <exception cref="InputLimitExceededException">Larger than <see cref="InputLimits.MaxPrimerBytes"/>, or more notes
    /// or ticks than the limits allow.</exception>
    public static MidiInput Read(byte[] bytes, InputLimits limits, string subject, bool lenient = false, string? lenientOption = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(limits);
        if (bytes.Length == 0)
            throw new PrimerException($"The {subject} is empty (0 bytes): send a Standard MIDI File.", 0);
        limits.CheckPrimerBytes(bytes.Length);
        MidiFile file;
        try
        {
            file = MidiFile.Read(bytes, lenient ? MidiReadingSettings.Lenient : MidiReadingSettings.Strict);
        }
        catch (MidiFormatException e)
        {
            string hint = e.Kind is null || lenientOption is null ? "" : $" Lenient reading ({lenientOption}) would repair it and list the repairs.";
            throw new PrimerException($"The {subject} is not a valid MIDI file: {e.Message}.{hint}", e.Offset, e);
        }
        var lines = file.Repairs
            .Select(r => string.Create(CultureInfo.InvariantCulture, $"byte {r.Offset}: {r.Kind}: {r.Description}"))
            .ToList();
        if (file.RepairCount > file.Repairs.Count)
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"... and {file.RepairCount - file.Repairs.Count} more repairs"));
        var score = ScoreConverter.ToScore(file);
        limits.CheckScore(score);
        return new MidiInput(file, score, lines);
    }
}
