using MusicGen.Core.Limits;
using MusicGen.Core.Music;

namespace MusicGen.Core.Tokenization;

/// <summary>Configuration of <see cref="ChoraleTokenizer"/>.</summary>
public sealed record ChoraleConfig
{
    /// <summary>Lowest pitch with a token (default 21, A0).</summary>
    public int MinPitch { get; init; } = 21;

    /// <summary>Highest pitch with a token (default 108, C8).</summary>
    public int MaxPitch { get; init; } = 108;

    /// <summary>Frames per quarter note when converting to and from a score (1 for the quarter-note JSB file, 4 for 16ths).</summary>
    public int FramesPerQuarter { get; init; } = 1;

    /// <summary>Ticks per quarter of decoded scores.</summary>
    public int TicksPerQuarter { get; init; } = 480;

    /// <summary>Velocity of decoded notes.</summary>
    public int Velocity { get; init; } = 80;

    /// <summary>General MIDI program of the decoded track.</summary>
    public int Program { get; init; }

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        if (MinPitch < 0 || MaxPitch > 127 || MinPitch > MaxPitch)
        {
            throw new ArgumentException($"Chorale pitch range {MinPitch}..{MaxPitch} must lie within 0..127 and be non-empty.");
        }

        if (FramesPerQuarter < 1 || TicksPerQuarter < 1 || TicksPerQuarter % FramesPerQuarter != 0)
        {
            throw new ArgumentException(
                $"Chorale ticksPerQuarter ({TicksPerQuarter}) must be a positive multiple of framesPerQuarter ({FramesPerQuarter}).");
        }

        if (Velocity is < 1 or > 127 || Program is < 0 or > 127)
        {
            throw new ArgumentException($"Chorale velocity {Velocity} must be 1..127 and program {Program} 0..127.");
        }
    }
}

/// <summary>
/// Chorale frames: each time step is its sounding pitches in ascending order followed by <c>FrameEnd</c>, the whole
/// piece within <c>BOS ... EOS</c>. Frame lists and such token runs are in bijection. Vocabulary: <c>PAD</c>,
/// <c>BOS</c>, <c>EOS</c>, <c>FrameEnd</c>, <c>Pitch_{MinPitch..MaxPitch}</c>.
/// </summary>
/// <remarks>
/// As a score, a frame lasts 1/<see cref="ChoraleConfig.FramesPerQuarter"/> quarter note; a pitch present in
/// consecutive frames becomes one held note (held and repeated notes are not distinguished by frames). A score is
/// sampled at the middle of each frame: a note sounds in a frame when start &lt;= middle &lt; end. Drum tracks and
/// pitches outside the range are left out.
/// </remarks>
public sealed class ChoraleTokenizer : IMusicTokenizer
{
    /// <summary>Kind name.</summary>
    public const string KindName = "chorale";

    internal const int FirstPitchId = 4;
    private readonly Vocabulary _vocab;

    /// <summary>Creates the tokenizer.</summary>
    public ChoraleTokenizer(ChoraleConfig? config = null)
    {
        Config = config ?? new ChoraleConfig();
        Config.Validate();
        var names = new List<string> { "PAD", "BOS", "EOS", "FrameEnd" };
        for (var p = Config.MinPitch; p <= Config.MaxPitch; p++)
        {
            names.Add($"Pitch_{p}");
        }

        _vocab = new Vocabulary(names);
    }

    /// <summary>The configuration.</summary>
    public ChoraleConfig Config { get; }

    /// <inheritdoc />
    public string Kind => KindName;

    /// <inheritdoc />
    public int VocabularySize => _vocab.Count;

    /// <summary>The vocabulary.</summary>
    public Vocabulary Vocabulary => _vocab;

    /// <inheritdoc />
    public int Pad => 0;

    /// <inheritdoc />
    public int Bos => 1;

    /// <inheritdoc />
    public int Eos => 2;

    /// <summary>The end-of-frame token id.</summary>
    public int FrameEnd => 3;

    /// <summary>Token id of a pitch, or -1 when outside the range.</summary>
    public int PitchId(int pitch) => pitch >= Config.MinPitch && pitch <= Config.MaxPitch ? FirstPitchId + pitch - Config.MinPitch : -1;

    /// <inheritdoc />
    public string TokenName(int id) => _vocab.Name(id);

    /// <inheritdoc />
    public int TokenId(string name) => _vocab.Id(name);

    /// <summary>
    /// Encodes frames (each the sounding pitches of one time step, any order, duplicates ignored) as
    /// <c>BOS (pitches ascending, FrameEnd)* EOS</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A pitch is outside the tokenizer's range.</exception>
    public int[] EncodeFrames(IReadOnlyList<IReadOnlyList<int>> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var ids = new List<int>(frames.Count * 5 + 2) { Bos };
        var buffer = new List<int>(8);
        for (var f = 0; f < frames.Count; f++)
        {
            buffer.Clear();
            foreach (var pitch in frames[f])
            {
                if (PitchId(pitch) < 0)
                {
                    throw new ArgumentException(
                        $"Frame {f}: pitch {pitch} is outside the chorale range {Config.MinPitch}..{Config.MaxPitch}.", nameof(frames));
                }

                buffer.Add(pitch);
            }

            buffer.Sort();
            for (var i = 0; i < buffer.Count; i++)
            {
                if (i == 0 || buffer[i] != buffer[i - 1])
                {
                    ids.Add(PitchId(buffer[i]));
                }
            }

            ids.Add(FrameEnd);
        }

        ids.Add(Eos);
        return ids.ToArray();
    }

    /// <summary>
    /// Decodes token ids into frames (total). Stops at EOS; ignores PAD, BOS and unknown ids; a frame's pitches are
    /// returned ascending without duplicates; pitches left without a final FrameEnd form a last frame.
    /// </summary>
    public List<int[]> DecodeFrames(ReadOnlySpan<int> ids)
    {
        var frames = new List<int[]>();
        var current = new List<int>(8);
        foreach (var id in ids)
        {
            if (id == Eos)
            {
                break;
            }

            if (id == FrameEnd)
            {
                frames.Add(SortedDistinct(current));
                current.Clear();
            }
            else if (id >= FirstPitchId && id < _vocab.Count)
            {
                current.Add(id - FirstPitchId + Config.MinPitch);
            }
        }

        if (current.Count > 0)
        {
            frames.Add(SortedDistinct(current));
        }

        return frames;
    }

    /// <summary>Converts frames to a score: one track, a pitch held over consecutive frames is one note.</summary>
    public Score FramesToScore(IReadOnlyList<IReadOnlyList<int>> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var frameTicks = Config.TicksPerQuarter / Config.FramesPerQuarter;
        var score = new Score { TicksPerQuarter = Config.TicksPerQuarter, Format = 1 };
        var track = new ScoreTrack { Index = 0, Program = Config.Program, Name = "Chorale" };
        score.Tracks.Add(track);
        var openStart = new long[128];
        Array.Fill(openStart, -1);
        var present = new bool[128];
        for (var f = 0; f <= frames.Count; f++)
        {
            Array.Clear(present);
            if (f < frames.Count)
            {
                foreach (var p in frames[f])
                {
                    if (p is >= 0 and <= 127)
                    {
                        present[p] = true;
                    }
                }
            }

            var tick = (long)f * frameTicks;
            for (var p = 0; p < 128; p++)
            {
                if (present[p] && openStart[p] < 0)
                {
                    openStart[p] = tick;
                }
                else if (!present[p] && openStart[p] >= 0)
                {
                    track.Notes.Add(new Note(openStart[p], tick, 0, p, Config.Velocity));
                    openStart[p] = -1;
                }
            }
        }

        track.Notes.Sort(static (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Pitch.CompareTo(b.Pitch));
        return score;
    }

    /// <summary>
    /// Samples a score into frames of 1/FramesPerQuarter quarter note: a frame holds the pitches (in range, drums
    /// excluded) of notes with start &lt;= frame middle &lt; end.
    /// </summary>
    /// <exception cref="InputLimitExceededException">The score exceeds <see cref="InputLimits.Default"/>.</exception>
    public List<int[]> ScoreToFrames(Score score) => ScoreToFrames(score, InputLimits.Default);

    /// <summary>As <see cref="ScoreToFrames(Score)"/>, within <paramref name="limits"/> (checked before any frame is made).</summary>
    /// <exception cref="InputLimitExceededException">Too many notes, ticks or frames.</exception>
    public List<int[]> ScoreToFrames(Score score, InputLimits limits)
    {
        ArgumentNullException.ThrowIfNull(score);
        ArgumentNullException.ThrowIfNull(limits);
        limits.CheckScore(score);
        var tpq = (long)Math.Max(1, score.TicksPerQuarter);
        var fpq = (long)Config.FramesPerQuarter;

        // Frame k's middle is (2k+1) * tpq / (2 fpq) ticks; compare in units of 1/(2 fpq) ticks to stay exact.
        // Frames up to the last sounding note's end: counted (and limited) before one is made.
        long frames = 0;
        foreach (var track in score.Tracks)
        {
            if (track.IsDrum) continue;
            foreach (var n in track.Notes)
                if (PitchId(n.Pitch) >= 0 && n.End > n.Start) frames = Math.Max(frames, CeilDiv(2 * fpq * n.End - tpq, 2 * tpq));
        }
        limits.CheckFrames(frames, $"chorale frames ({fpq} per quarter, {tpq} ticks per quarter)");
        var sets = new List<SortedSet<int>>((int)frames);
        foreach (var track in score.Tracks)
        {
            if (track.IsDrum)
            {
                continue;
            }

            foreach (var n in track.Notes)
            {
                if (PitchId(n.Pitch) < 0 || n.End <= n.Start)
                {
                    continue;
                }

                // First k with (2k+1) tpq >= 2 fpq start; last k with (2k+1) tpq < 2 fpq end.
                var first = CeilDiv(2 * fpq * n.Start - tpq, 2 * tpq);
                first = Math.Max(0, first);
                for (var k = first; (2 * k + 1) * tpq < 2 * fpq * n.End; k++)
                {
                    while (sets.Count <= k)
                    {
                        sets.Add([]);
                    }

                    sets[(int)k].Add(n.Pitch);
                }
            }
        }

        return sets.Select(static s => s.ToArray()).ToList();
    }

    /// <inheritdoc />
    public int[] Encode(Score score) => Encode(score, InputLimits.Default);

    /// <inheritdoc />
    public int[] Encode(Score score, InputLimits limits) => EncodeFrames(ScoreToFrames(score, limits));

    /// <inheritdoc />
    public Score Decode(ReadOnlySpan<int> ids) => FramesToScore(DecodeFrames(ids));

    /// <inheritdoc />
    public string ToJson() => TokenizerJson.Write(KindName, Config, _vocab);

    /// <inheritdoc />
    public ITokenGrammar CreateGrammar() => new ChoraleGrammar(this);

    private static long CeilDiv(long a, long b) => a >= 0 ? (a + b - 1) / b : -(-a / b);

    private static int[] SortedDistinct(List<int> pitches)
    {
        pitches.Sort();
        var result = new List<int>(pitches.Count);
        foreach (var p in pitches)
        {
            if (result.Count == 0 || result[^1] != p)
            {
                result.Add(p);
            }
        }

        return result.ToArray();
    }
}
