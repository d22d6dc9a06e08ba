using MusicGen.Core.Limits;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;

namespace MusicGen.Audio;

/// <summary>One channel message at the audio frame where it takes effect.</summary>
internal readonly record struct TimedEvent(long Frame, MidiEvent Event);

/// <summary>
/// What a render will play: every channel message of every track in time order (ties keep track, then file order),
/// placed on the audio frame grid with the code base's one tick-to-seconds conversion (<see cref="TempoMap"/> of the
/// file's score, which also covers SMPTE divisions), and the length in frames: the file's end (the last event of any
/// track, End of Track included) plus the tail. Format 2 tracks are played together, like format 1.
/// </summary>
internal sealed class RenderPlan
{
    private RenderPlan(List<TimedEvent> events, long frames, double seconds)
    {
        Events = events;
        Frames = frames;
        Seconds = seconds;
    }

    public List<TimedEvent> Events { get; }

    /// <summary>Frames to render, tail included.</summary>
    public long Frames { get; }

    /// <summary>Seconds of the MIDI itself (no tail).</summary>
    public double Seconds { get; }

    /// <summary>The plan for <paramref name="midi"/>; checks the length against <see cref="InputLimits.MaxRenderSeconds"/> first.</summary>
    public static RenderPlan For(MidiFile midi, AudioRenderOptions options, InputLimits limits)
    {
        var map = TempoMap.For(ScoreConverter.ToScore(midi));
        long end = 0;
        var count = 0;
        foreach (var track in midi.Tracks)
        {
            end = Math.Max(end, track.EndTick);
            count += track.Events.Count;
        }
        var seconds = map.ToSeconds(end);
        limits.CheckRenderSeconds(seconds + options.TailSeconds);

        var rate = options.SampleRate;
        var events = new List<(long Tick, int Track, int Index, MidiEvent Event)>(count);
        for (var t = 0; t < midi.Tracks.Count; t++)
        {
            var list = midi.Tracks[t].Events;
            for (var i = 0; i < list.Count; i++)
                if (list[i].IsChannelMessage) events.Add((list[i].Tick, t, i, list[i]));
        }
        events.Sort(static (a, b) => a.Tick != b.Tick ? a.Tick.CompareTo(b.Tick) : a.Track != b.Track ? a.Track.CompareTo(b.Track) : a.Index.CompareTo(b.Index));
        var timed = new List<TimedEvent>(events.Count);
        foreach (var e in events) timed.Add(new TimedEvent(ToFrame(map.ToSeconds(e.Tick), rate), e.Event));
        var frames = Math.Max(ToFrame(seconds + options.TailSeconds, rate), timed.Count == 0 ? 0 : timed[^1].Frame);
        return new RenderPlan(timed, frames, seconds);
    }

    private static long ToFrame(double seconds, int rate) => (long)Math.Round(seconds * rate, MidpointRounding.AwayFromZero);
}
