using MusicGen.Core.Music;

namespace MusicGen.Core.Midi;

/// <summary>
/// Converts between the event-level <see cref="MidiFile"/> and the musical <see cref="Score"/>.
/// <para>Note pairing (per track): a Note On with velocity &gt; 0 opens a note; the first Note Off, or Note On with
/// velocity 0, on the same track, channel and pitch closes the earliest open one (first in, first out); a Note Off
/// with nothing open is ignored; a note still open at the end of its track ends at that track's last event tick.
/// Zero-length notes (closed at the tick they open) are kept, as an event-level reader such as mido sees them.</para>
/// </summary>
public static class ScoreConverter
{
    /// <summary>The musical view of a MIDI file. An SMPTE division becomes a ticks-per-quarter grid at a fixed tempo
    /// (one quarter = one second: ticks per quarter = frames per second x ticks per frame, and one tempo of
    /// 1,000,000 µs per quarter, or 1,001,001 for 29.97 fps); Set Tempo events are then ignored.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static Score ToScore(MidiFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var score = new Score { Format = file.Format };
        bool smpte = file.IsSmpte;
        if (smpte)
        {
            int fps = file.SmpteFramesPerSecond;
            score.TicksPerQuarter = (fps == 29 ? 30 : fps) * file.SmpteTicksPerFrame;
            score.Tempos.Add(new TempoChange(0, fps == 29 ? 1_001_001 : 1_000_000));
        }
        else
        {
            score.TicksPerQuarter = file.TicksPerQuarter;
        }

        var pairing = new NotePairing();
        for (int t = 0; t < file.Tracks.Count; t++)
        {
            var events = file.Tracks[t].Events;
            var track = new ScoreTrack { Index = t };
            bool haveProgram = false;
            pairing.BeginTrack();
            long lastTick = 0;
            for (int i = 0; i < events.Count; i++)
            {
                var e = events[i];
                lastTick = e.Tick;
                int kind = e.Status & 0xF0;
                if (kind == 0x90 && e.Data2 > 0)
                {
                    pairing.Open(e.Channel, e.Data1, e.Tick, e.Data2);
                }
                else if (kind == 0x80 || kind == 0x90)
                {
                    pairing.Close(e.Channel, e.Data1, e.Tick, track.Notes);
                }
                else if (kind == 0xC0)
                {
                    if (!haveProgram) { track.Program = e.Data1; haveProgram = true; }
                }
                else if (e.Status == 0xFF)
                {
                    var d = e.Data;
                    switch (e.Data1)
                    {
                        case (byte)MidiMetaType.TrackName when track.Name is null:
                            track.Name = MidiEvent.DecodeText(d);
                            break;
                        case (byte)MidiMetaType.Tempo when d.Length >= 3 && !smpte:
                            score.Tempos.Add(new TempoChange(e.Tick, (d[0] << 16) | (d[1] << 8) | d[2]));
                            break;
                        case (byte)MidiMetaType.TimeSignature when d.Length >= 2 && d[1] <= 30:
                            score.TimeSignatures.Add(new TimeSignature(e.Tick, d[0], 1 << d[1]));
                            break;
                        case (byte)MidiMetaType.KeySignature when d.Length >= 2 && (sbyte)d[0] is >= -7 and <= 7:
                            score.KeySignatures.Add(new KeySignature(e.Tick, (sbyte)d[0], d[1] == 1));
                            break;
                    }
                }
            }
            pairing.EndTrack(lastTick, track.Notes);
            SortNotes(track.Notes);
            int drums = 0;
            foreach (var n in track.Notes) if (n.Channel == 9) drums++;
            track.IsDrum = track.Notes.Count > 0 && drums == track.Notes.Count;
            score.Tracks.Add(track);
        }
        // Stable sorts by tick: file order within a tick (tracks in order, events in order).
        StableSortByTick(score.Tempos, static x => x.Tick);
        StableSortByTick(score.TimeSignatures, static x => x.Tick);
        StableSortByTick(score.KeySignatures, static x => x.Tick);
        return score;
    }

    /// <summary>
    /// A MIDI file for a score: track i of the score becomes MTrk i; tempo, time and key signatures go to the first
    /// track (format 0 merges everything into one track). Each track gets its name, a Program Change at tick 0 on
    /// every non-drum channel it uses, and Note On / Note Off (velocity 0) pairs; at one tick, ends come before starts
    /// so that <see cref="ToScore"/> pairs them back to the same notes (same-pitch overlapping notes excepted: MIDI
    /// cannot tell them apart).
    /// </summary>
    public static MidiFile ToMidi(Score score)
    {
        ArgumentNullException.ThrowIfNull(score);
        if (score.TicksPerQuarter is < 1 or > 0x7FFF)
            throw new ArgumentException($"ticks per quarter must be 1..32767, got {score.TicksPerQuarter}", nameof(score));
        var file = new MidiFile(score.Format is >= 0 and <= 2 ? score.Format : 1, score.TicksPerQuarter);
        int trackCount = Math.Max(1, score.Format == 0 ? 1 : score.Tracks.Count);
        var keyed = new List<(long Tick, int Order, long Seq, MidiEvent Event)>[trackCount];
        for (int i = 0; i < trackCount; i++) keyed[i] = [];
        long seq = 0;

        Span<bool> used = stackalloc bool[16];
        var conductor = keyed[0];
        foreach (var ts in score.TimeSignatures) conductor.Add((ts.Tick, 0, seq++, MidiEvent.TimeSignature(ts.Tick, ts.Numerator, ts.Denominator)));
        foreach (var ks in score.KeySignatures) conductor.Add((ks.Tick, 0, seq++, MidiEvent.KeySignature(ks.Tick, ks.SharpsFlats, ks.IsMinor)));
        foreach (var tc in score.Tempos) conductor.Add((tc.Tick, 0, seq++, MidiEvent.Tempo(tc.Tick, tc.MicrosecondsPerQuarter)));

        for (int t = 0; t < score.Tracks.Count; t++)
        {
            var st = score.Tracks[t];
            var list = keyed[score.Format == 0 ? 0 : t];
            if (st.Name is not null) list.Add((0, -1, seq++, MidiEvent.TrackName(0, st.Name)));
            used.Clear();
            foreach (var n in st.Notes) used[CheckNote(n, t).Channel] = true;
            for (int ch = 0; ch < 16; ch++)
                if (used[ch] && ch != 9) list.Add((0, 0, seq++, MidiEvent.ProgramChange(0, ch, st.Program)));
            var notes = st.Notes.ToArray();
            Array.Sort(notes, static (a, b) =>
            {
                int c = a.Start.CompareTo(b.Start);
                if (c == 0) c = a.Pitch.CompareTo(b.Pitch);
                if (c == 0) c = a.Channel.CompareTo(b.Channel);
                if (c == 0) c = a.End.CompareTo(b.End);
                return c;
            });
            foreach (var n in notes)
            {
                int velocity = Math.Clamp(n.Velocity, 1, 127);
                long noteSeq = seq++;
                list.Add((n.Start, 2, noteSeq, MidiEvent.NoteOn(n.Start, n.Channel, n.Pitch, velocity)));
                // A zero-length note's end must follow its start; other ends come before starts at the same tick.
                list.Add((n.End, n.End == n.Start ? 3 : 1, noteSeq, MidiEvent.NoteOn(n.End, n.Channel, n.Pitch, 0)));
            }
        }

        foreach (var list in keyed)
        {
            list.Sort(static (a, b) =>
            {
                int c = a.Tick.CompareTo(b.Tick);
                if (c == 0) c = a.Order.CompareTo(b.Order);
                if (c == 0) c = a.Seq.CompareTo(b.Seq);
                return c;
            });
            var track = new MidiTrack();
            foreach (var k in list) track.Events.Add(k.Event);
            track.Events.Add(MidiEvent.EndOfTrack(list.Count == 0 ? 0 : list[^1].Tick));
            file.Tracks.Add(track);
        }
        return file;
    }

    private static Note CheckNote(Note n, int track)
    {
        if (n.Channel is < 0 or > 15 || n.Pitch is < 0 or > 127 || n.Start < 0 || n.End < n.Start)
            throw new ArgumentException($"track {track}: invalid note {n} (channel 0-15, pitch 0-127, 0 <= start <= end)");
        return n;
    }

    /// <summary>Sorts by start, pitch, channel, end, velocity: a primitive-key sort on (start, pitch), then the
    /// rare runs of equal keys by the full order.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static void SortNotes(List<Note> notes)
    {
        int n = notes.Count;
        if (n < 2) return;
        bool sorted = true;
        for (int i = 1; i < n && sorted; i++) sorted = CompareNotes(notes[i - 1], notes[i]) <= 0;
        if (sorted) return;
        var keys = new long[n];
        var items = new Note[n];
        notes.CopyTo(items);
        bool keyed = true;
        for (int i = 0; i < n; i++)
        {
            long s = items[i].Start;
            if (s < 0 || s > (long.MaxValue >> 8)) { keyed = false; break; }
            keys[i] = (s << 7) | (uint)(items[i].Pitch & 127);
        }
        if (keyed)
        {
            Array.Sort(keys, items);
            for (int i = 0; i < n;)
            {
                int j = i + 1;
                while (j < n && keys[j] == keys[i]) j++;
                if (j - i > 1) Array.Sort(items, i, j - i, NoteOrder.Instance);
                i = j;
            }
        }
        else
        {
            Array.Sort(items, NoteOrder.Instance);
        }
        notes.Clear();
        notes.AddRange(items);
    }

    private static int CompareNotes(in Note a, in Note b)
    {
        int c = a.Start.CompareTo(b.Start);
        if (c == 0) c = a.Pitch.CompareTo(b.Pitch);
        if (c == 0) c = a.Channel.CompareTo(b.Channel);
        if (c == 0) c = a.End.CompareTo(b.End);
        if (c == 0) c = a.Velocity.CompareTo(b.Velocity);
        return c;
    }

    private sealed class NoteOrder : IComparer<Note>
    {
        public static readonly NoteOrder Instance = new();
        public int Compare(Note a, Note b) => CompareNotes(a, b);
    }

    private static void StableSortByTick<T>(List<T> items, Func<T, long> tick)
    {
        for (int i = 1; i < items.Count; i++)
        {
            if (tick(items[i - 1]) <= tick(items[i])) continue;
            // Out of order (several tracks): insertion sort keeps file order within a tick.
            var x = items[i];
            int j = i - 1;
            while (j >= 0 && tick(items[j]) > tick(x)) { items[j + 1] = items[j]; j--; }
            items[j + 1] = x;
        }
    }

    /// <summary>FIFO note pairing per channel and pitch without per-note allocation beyond the output list.</summary>
    private sealed class NotePairing
    {
        private readonly int[] _head = new int[2048];
        private readonly int[] _tail = new int[2048];
        private readonly bool[] _marked = new bool[2048];
        private readonly List<int> _touched = [];
        private readonly List<(long Start, int Velocity, int Next)> _open = [];

        public NotePairing()
        {
            Array.Fill(_head, -1);
            Array.Fill(_tail, -1);
        }

        public void BeginTrack()
        {
            foreach (int k in _touched) { _head[k] = -1; _tail[k] = -1; _marked[k] = false; }
            _touched.Clear();
            _open.Clear();
        }

        public void Open(int channel, int pitch, long tick, int velocity)
        {
            int key = (channel << 7) | pitch;
            int idx = _open.Count;
            _open.Add((tick, velocity, -1));
            if (!_marked[key]) { _marked[key] = true; _touched.Add(key); }
            if (_head[key] < 0) _head[key] = idx;
            else { var t = _open[_tail[key]]; _open[_tail[key]] = (t.Start, t.Velocity, idx); }
            _tail[key] = idx;
        }

        public void Close(int channel, int pitch, long tick, List<Note> output)
        {
            int key = (channel << 7) | pitch;
            int h = _head[key];
            if (h < 0) return;
            var o = _open[h];
            output.Add(new Note(o.Start, tick, channel, pitch, o.Velocity));
            _head[key] = o.Next;
            if (o.Next < 0) _tail[key] = -1;
        }

        public void EndTrack(long lastTick, List<Note> output)
        {
            foreach (int key in _touched)
            {
                for (int h = _head[key]; h >= 0; h = _open[h].Next)
                    output.Add(new Note(_open[h].Start, lastTick, key >> 7, key & 127, _open[h].Velocity));
            }
        }
    }
}
