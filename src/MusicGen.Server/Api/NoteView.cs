using MusicGen.Core.Music;
using MusicGen.Inference;

namespace MusicGen.Server.Api;

/// <summary>A note as the API shows it: ticks plus seconds (through the score's tempo map).</summary>
/// <param name="Track">Index of its track in the piece.</param>
/// <param name="Program">General MIDI program (instrument) of its track, 0-127.</param>
/// <param name="Drum">True on the percussion channel.</param>
/// <param name="Channel">MIDI channel, 0-15.</param>
/// <param name="Pitch">MIDI pitch, 0-127 (60 = middle C).</param>
/// <param name="Velocity">MIDI velocity, 1-127.</param>
/// <param name="StartTick">Start in ticks.</param>
/// <param name="EndTick">End in ticks.</param>
/// <param name="Start">Start in seconds.</param>
/// <param name="End">End in seconds.</param>
internal sealed record NoteView(int Track, int Program, bool Drum, int Channel, int Pitch, int Velocity, long StartTick, long EndTick, double Start, double End);

internal static class NoteViews
{
    /// <summary>Every note of the score, ordered by start then pitch, with times in seconds.</summary>
    public static List<NoteView> From(Score score)
    {
        var list = new List<NoteView>();
        var time = TempoMap.For(score);
        foreach (var track in score.Tracks)
            foreach (var n in track.Notes)
                list.Add(new NoteView(track.Index, track.Program, track.IsDrum, n.Channel, n.Pitch, n.Velocity, n.Start, n.End,
                    time.ToSeconds(n.Start), time.ToSeconds(n.End)));
        list.Sort((a, b) => a.StartTick != b.StartTick ? a.StartTick.CompareTo(b.StartTick) : a.Pitch.CompareTo(b.Pitch));
        return list;
    }

    /// <summary>A streamed note (<see cref="GenerationEventKind.Note"/>).</summary>
    public static NoteView Of(GenerationEvent e) =>
        new(e.Track, e.Program, e.IsDrum, e.Note.Channel, e.Note.Pitch, e.Note.Velocity, e.Note.Start, e.Note.End, e.StartSeconds, e.EndSeconds);
}
