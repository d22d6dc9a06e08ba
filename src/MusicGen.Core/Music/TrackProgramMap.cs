namespace MusicGen.Core.Music;

/// <summary>
/// Programs to give named tracks before a score is tokenized, e.g. <c>{"MELODY": 1}</c> for POP909, whose melody,
/// bridge and piano tracks all declare program 0 and would otherwise merge into one token stream (tokenizers that
/// keep instruments apart do so by program). A model trained on mapped data records the map in its package
/// (<c>trackPrograms</c>), so primers and evaluation data are mapped the same way.
/// </summary>
public sealed class TrackProgramMap
{
    private readonly Dictionary<string, int> _programs;

    // Program -> the track name generated tracks of that program get: the first in ordinal order when names share it.
    private readonly Dictionary<int, string> _names;

    private TrackProgramMap(Dictionary<string, int> programs)
    {
        _programs = programs;
        _names = programs.GroupBy(kv => kv.Value).ToDictionary(g => g.Key, g => g.Select(kv => kv.Key).Order(StringComparer.Ordinal).First());
    }

    /// <summary>The empty map (programs as the files say).</summary>
    public static TrackProgramMap None { get; } = new(new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase));

    /// <summary>True when the map changes nothing.</summary>
    public bool IsEmpty => _programs.Count == 0;

    /// <summary>Parses <c>{"MELODY": 1}</c>-style entries (track name, matched ignoring case and surrounding space, to a
    /// General MIDI program 0-127); null or empty gives <see cref="None"/>.</summary>
    /// <exception cref="ArgumentException">A name is empty or repeated, or a program is outside 0-127 (the message names it).</exception>
    public static TrackProgramMap Parse(IReadOnlyDictionary<string, int>? entries)
    {
        if (entries is null || entries.Count == 0) return None;
        var map = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, program) in entries)
        {
            var key = (name ?? "").Trim();
            if (key.Length == 0) throw new ArgumentException("Track program map: a track name is empty.");
            if (program is < 0 or > 127) throw new ArgumentException($"Track program map entry '{key}': program {program} is outside 0-127.");
            if (!map.TryAdd(key, program)) throw new ArgumentException($"Track program map: track name '{key}' is given twice (names match ignoring case).");
        }

        return new TrackProgramMap(map);
    }

    /// <summary>
    /// The score with every non-drum track the map names given the map's program: a new <see cref="Score"/> with new
    /// track objects for the changed tracks (the input is not changed), or <paramref name="score"/> itself when no
    /// track is changed.
    /// </summary>
    public Score Rewrite(Score score)
    {
        ArgumentNullException.ThrowIfNull(score);
        if (_programs.Count == 0 || !score.Tracks.Any(t => Mapped(t) is { } p && p != t.Program)) return score;
        var copy = new Score { TicksPerQuarter = score.TicksPerQuarter, Format = score.Format };
        foreach (var t in score.Tracks)
        {
            if (Mapped(t) is not { } program || program == t.Program)
            {
                copy.Tracks.Add(t);
                continue;
            }

            var track = new ScoreTrack { Index = t.Index, Name = t.Name, Program = program, IsDrum = false };
            track.Notes.AddRange(t.Notes);
            copy.Tracks.Add(track);
        }

        copy.Tempos.AddRange(score.Tempos);
        copy.TimeSignatures.AddRange(score.TimeSignatures);
        copy.KeySignatures.AddRange(score.KeySignatures);
        return copy;
    }

    /// <summary>Names each non-drum track whose program the map gives after the map's track (the first name in
    /// ordinal order when several share the program); other tracks keep their names. Changes <paramref name="score"/>.</summary>
    public void NameTracks(Score score)
    {
        ArgumentNullException.ThrowIfNull(score);
        foreach (var t in score.Tracks)
        {
            if (!t.IsDrum && _names.TryGetValue(t.Program, out var name)) t.Name = name;
        }
    }

    /// <summary>The map as name -> program (for manifests and descriptions).</summary>
    public Dictionary<string, int> ToDictionary() => new(_programs, StringComparer.Ordinal);

    private int? Mapped(ScoreTrack t) =>
        !t.IsDrum && t.Name is { } n && _programs.TryGetValue(n.Trim(), out var p) ? p : null;
}
