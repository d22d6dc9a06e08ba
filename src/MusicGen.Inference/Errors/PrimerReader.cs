using System.Globalization;
using MusicGen.Core.Limits;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;

namespace MusicGen.Inference.Errors;

/// <summary>Reads a request's primer file: the one place that decides what a primer may be.</summary>
internal static class PrimerReader
{
    /// <summary>
    /// Reads <paramref name="bytes"/> strictly (or leniently when <paramref name="lenient"/>), after checking that
    /// it is not empty and within <see cref="InputLimits.MaxPrimerBytes"/>.
    /// </summary>
    /// <param name="bytes">The primer file.</param>
    /// <param name="lenient">Repair what can be repaired instead of refusing the file.</param>
    /// <param name="limits">The bounds in force.</param>
    /// <param name="repairs">What lenient reading repaired, one line each with its byte offset (empty when strict).</param>
    /// <exception cref="PrimerException">Empty, or damaged (the reader's byte offset and what it expected and found).</exception>
    /// <exception cref="InputLimitExceededException">Larger than <see cref="InputLimits.MaxPrimerBytes"/>.</exception>
    public static Score Read(byte[] bytes, bool lenient, InputLimits limits, out IReadOnlyList<string> repairs)
    {
        if (bytes.Length == 0)
            throw new PrimerException("The primer file is empty (0 bytes): send a Standard MIDI File, or no primer.", 0);
        limits.CheckPrimerBytes(bytes.Length);
        MidiFile file;
        try
        {
            file = MidiFile.Read(bytes, lenient ? MidiReadingSettings.Lenient : MidiReadingSettings.Strict);
        }
        catch (MidiFormatException e)
        {
            string hint = e.Kind is null ? "" : " Lenient reading (LenientPrimer) would repair it and list the repairs.";
            throw new PrimerException($"The primer is not a valid MIDI file: {e.Message}.{hint}", e.Offset, e);
        }
        var lines = file.Repairs
            .Select(r => string.Create(CultureInfo.InvariantCulture, $"byte {r.Offset}: {r.Kind}: {r.Description}"))
            .ToList();
        if (file.RepairCount > file.Repairs.Count)
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"... and {file.RepairCount - file.Repairs.Count} more repairs"));
        repairs = lines;
        return ScoreConverter.ToScore(file);
    }
}
