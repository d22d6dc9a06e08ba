using MusicGen.Core.Limits;
using MusicGen.Core.Music;

namespace MusicGen.Core.Tokenization;

/// <summary>
/// REMI-style metrical tokens, all tracks in one stream:
/// <c>BOS (Bar [TimeSig] [Key] (Position [Chord] [Tempo] ([Program] Pitch Velocity Duration+)*)* [Position])* EOS</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Times are on a grid of <see cref="RemiConfig.PositionsPerQuarter"/> steps per quarter note; a tick maps to
/// the nearest step. Bars follow the time-signature map (4/4 before the first one); a time signature that changes in
/// the middle of a bar cuts that bar short, written as a bare <c>Position_k</c> right before the next <c>Bar</c>.</item>
/// <item>With <see cref="RemiConfig.KeyTokens"/>, <c>Key_C</c> .. <c>Key_Bm</c> (24 keys) after the bar's Bar and
/// TimeSig: the first bar always names the key of <see cref="KeyFinder.KeyMap"/>, later bars only its changes
/// (a change inside a bar takes effect at that bar's line). Decoded keys become key signatures.</item>
/// <item>With <see cref="RemiConfig.ChordTokens"/>, <c>Chord_C</c> .. <c>Chord_Bm7</c> (84 chords of
/// <see cref="ChordRecognizer"/>) right after the Position that starts a harmony segment (the bar's start, and its
/// middle when the numerator is even), when the segment's chord differs from the last one written. Decoding ignores
/// them: they describe the notes, which carry the music.</item>
/// <item><c>Program_n</c> (or <c>Program_Drums</c> for drum tracks) sets the instrument of the following notes until
/// the next Program token; tracks sharing an instrument merge into one.</item>
/// <item>A note's length is the sum of the <c>Duration</c> tokens after its Velocity (names are quarter notes:
/// <c>Duration_1/2</c>, <c>Duration_3</c>); the encoder writes the fewest largest-first tokens.</item>
/// <item>Velocities fall into <see cref="VelocityBins"/>; tempos into whole-BPM tokens <c>Tempo_120</c>.</item>
/// <item>Decoding is total; see <see cref="Decode"/>.</item>
/// </list>
/// </remarks>
public sealed class RemiTokenizer : IMusicTokenizer
{
    /// <summary>Kind name.</summary>
    public const string KindName = "remi";

    /// <summary>Program key of drum tracks.</summary>
    public const int DrumKey = 128;

    private readonly Vocabulary _vocab;
    private readonly int[] _durationSteps; // ascending
    private readonly (int Numerator, int Denominator, int BarSteps)[] _timeSigs;

    /// <summary>Creates the tokenizer.</summary>
    public RemiTokenizer(RemiConfig? config = null)
    {
        Config = config ?? new RemiConfig();
        Config.Validate();
        var res = Config.PositionsPerQuarter;
        Velocity = new VelocityBins(Config.VelocityBins);
        StepTicks = Config.TicksPerQuarter / res;
        MaxBarSteps = Config.MaxBarQuarters * res;

        _durationSteps = RemiDurations.Build(res);
        var sigs = new List<(int, int, int)>();
        foreach (var den in Config.TimeSignatureDenominators.Order())
        {
            for (var num = 1; num <= Config.MaxTimeSignatureNumerator; num++)
            {
                var scaled = num * 4 * res;
                if (scaled % den == 0 && scaled / den <= MaxBarSteps)
                {
                    sigs.Add((num, den, scaled / den));
                }
            }
        }

        if (sigs.Count == 0)
        {
            throw new ArgumentException("REMI configuration yields no time signature on its grid.");
        }

        _timeSigs = sigs.ToArray();
        var defaultSig = Array.FindIndex(_timeSigs, s => s.Numerator == 4 && s.Denominator == 4);
        if (defaultSig < 0)
        {
            defaultSig = Math.Max(0, Array.FindIndex(_timeSigs, s => s.BarSteps == Math.Min(4 * res, MaxBarSteps)));
        }

        DefaultTimeSig = defaultSig;
        var names = new List<string> { "PAD", "BOS", "EOS", "Bar" };
        PositionFirst = names.Count;
        names.AddRange(Enumerable.Range(0, MaxBarSteps).Select(p => $"Position_{p}"));
        ProgramFirst = names.Count;
        names.AddRange(Enumerable.Range(0, 128).Select(p => $"Program_{p}"));
        names.Add("Program_Drums");
        PitchFirst = names.Count;
        names.AddRange(Enumerable.Range(Config.MinPitch, PitchCount).Select(p => $"Pitch_{p}"));
        VelocityFirst = names.Count;
        names.AddRange(Enumerable.Range(0, Velocity.Count).Select(b => $"Velocity_{Velocity.Value(b)}"));
        DurationFirst = names.Count;
        names.AddRange(_durationSteps.Select(d => $"Duration_{RemiDurations.QuarterFraction(d, res)}"));
        TempoFirst = names.Count;
        TempoCount = ((Config.TempoMaxBpm - Config.TempoMinBpm) / Config.TempoStepBpm) + 1;
        names.AddRange(Enumerable.Range(0, TempoCount).Select(i => $"Tempo_{Config.TempoMinBpm + (i * Config.TempoStepBpm)}"));
        TimeSigFirst = names.Count;
        names.AddRange(_timeSigs.Select(s => $"TimeSig_{s.Numerator}/{s.Denominator}"));

        // Added kinds of tokens go last, so a configuration without them keeps every id of older packages.
        KeyFirst = names.Count;
        KeyCount = Config.KeyTokens ? MusicalKey.Count : 0;
        names.AddRange(Enumerable.Range(0, KeyCount).Select(k => $"Key_{MusicalKey.FromIndex(k).ShortName}"));
        ChordFirst = names.Count;
        ChordCount = Config.ChordTokens ? Chord.Count : 0;
        names.AddRange(Enumerable.Range(0, ChordCount).Select(c => $"Chord_{Chord.FromIndex(c).Name}"));
        _vocab = new Vocabulary(names);
    }

    /// <summary>The configuration.</summary>
    public RemiConfig Config { get; }

    /// <summary>The vocabulary.</summary>
    public Vocabulary Vocabulary => _vocab;

    /// <inheritdoc />
    public string Kind => KindName;

    /// <inheritdoc />
    public int VocabularySize => _vocab.Count;

    /// <inheritdoc />
    public int Pad => 0;

    /// <inheritdoc />
    public int Bos => 1;

    /// <inheritdoc />
    public int Eos => 2;

    /// <summary>The Bar token id.</summary>
    public int BarId => 3;

    internal VelocityBins Velocity { get; }
    internal int StepTicks { get; }
    internal int MaxBarSteps { get; }
    internal int PositionFirst { get; }
    internal int ProgramFirst { get; }
    internal int PitchFirst { get; }
    internal int VelocityFirst { get; }
    internal int DurationFirst { get; }
    internal int TempoFirst { get; }
    internal int TempoCount { get; }
    internal int TimeSigFirst { get; }
    internal int TimeSigCount => _timeSigs.Length;

    /// <summary>First Key token (the vocabulary size when <see cref="RemiConfig.KeyTokens"/> is off).</summary>
    internal int KeyFirst { get; }

    /// <summary>Key tokens: 24 with <see cref="RemiConfig.KeyTokens"/>, else 0.</summary>
    internal int KeyCount { get; }

    /// <summary>First Chord token (after the key tokens; the vocabulary size when <see cref="RemiConfig.ChordTokens"/> is off).</summary>
    internal int ChordFirst { get; }

    /// <summary>Chord tokens: 84 with <see cref="RemiConfig.ChordTokens"/>, else 0.</summary>
    internal int ChordCount { get; }

    internal int DefaultTimeSig { get; }
    internal int DurationCount => _durationSteps.Length;
    internal int PitchCount => Config.MaxPitch - Config.MinPitch + 1;

    internal int BarSteps(int timeSig) => _timeSigs[timeSig].BarSteps;

    /// <summary>Steps of half a bar, where a bar's second harmony segment starts; 0 when the bar is one segment (odd numerator).</summary>
    internal int HalfBarSteps(int timeSig)
    {
        var (num, _, steps) = _timeSigs[timeSig];
        var segment = ChordRecognizer.HarmonySegment(num, steps);
        return segment < steps ? (int)segment : 0;
    }

    internal (int Numerator, int Denominator) TimeSignatureOf(int timeSig) => (_timeSigs[timeSig].Numerator, _timeSigs[timeSig].Denominator);

    internal int DurationStepsOf(int index) => _durationSteps[index];

    internal int TempoMicroseconds(int index) =>
        (int)Math.Round(60_000_000.0 / (Config.TempoMinBpm + (index * Config.TempoStepBpm)), MidpointRounding.AwayFromZero);

    /// <inheritdoc />
    public string TokenName(int id) => _vocab.Name(id);

    /// <inheritdoc />
    public int TokenId(string name) => _vocab.Id(name);

    /// <inheritdoc />
    public string ToJson() => TokenizerJson.Write(KindName, Config, _vocab);

    /// <inheritdoc />
    public ITokenGrammar CreateGrammar() => new RemiGrammar(this);

    /// <summary>
    /// A grammar whose chord tokens also follow <paramref name="progression"/>: one chord per harmony segment from the
    /// first bar on, the list repeated. Where a segment's chord differs from the one before, its Position and that
    /// Chord are required (no later Position, no Bar before them); elsewhere no chord token is allowed.
    /// </summary>
    /// <exception cref="InvalidOperationException">This configuration has no chord tokens.</exception>
    /// <exception cref="ArgumentException">The progression is empty.</exception>
    public ITokenGrammar CreateGrammar(IReadOnlyList<Chord> progression)
    {
        ArgumentNullException.ThrowIfNull(progression);
        if (ChordCount == 0) throw new InvalidOperationException("This REMI configuration has no chord tokens (chordTokens).");
        if (progression.Count == 0) throw new ArgumentException("The chord progression is empty.", nameof(progression));
        return new RemiGrammar(this, [.. progression.Select(c => c.Index)]);
    }

    /// <summary>Index of the time-signature token for a signature, or -1 when it has none.</summary>
    public int TimeSignatureIndex(int numerator, int denominator) =>
        Array.FindIndex(_timeSigs, s => s.Numerator == numerator && s.Denominator == denominator);

    /// <summary>Tempo token index nearest to a tempo in microseconds per quarter.</summary>
    public int TempoIndex(int microsecondsPerQuarter)
    {
        var bpm = 60_000_000.0 / Math.Max(1, microsecondsPerQuarter);
        var i = (int)Math.Round((bpm - Config.TempoMinBpm) / Config.TempoStepBpm, MidpointRounding.AwayFromZero);
        return Math.Clamp(i, 0, TempoCount - 1);
    }

    /// <summary>The Key token of a key (<c>Key_Am</c>), or null when <see cref="RemiConfig.KeyTokens"/> is off.</summary>
    public int? KeyTokenId(MusicalKey key) => KeyCount > 0 ? KeyFirst + key.Index : null;

    /// <summary>
    /// Encodes a score. Notes outside the pitch range are left out; a time signature without a token is written as
    /// 4/4; a tempo outside the token range is clamped to it.
    /// </summary>
    /// <exception cref="ArgumentException">The score has no positive ticks per quarter.</exception>
    /// <exception cref="InputLimitExceededException">The score exceeds <see cref="InputLimits.Default"/>.</exception>
    public int[] Encode(Score score) => Encode(score, InputLimits.Default);

    /// <inheritdoc />
    public int[] Encode(Score score, InputLimits limits) => RemiEncoder.Encode(this, score, limits);

    /// <summary>
    /// Decodes any id sequence (total). Rules: stops at the first EOS; PAD, BOS and unknown ids are ignored; content
    /// before the first Bar belongs to bar 0; a TimeSig or Key applies only right after a Bar (elsewhere ignored),
    /// a Key from that bar's line on; a Position beyond the bar is ignored; a bare <c>Position_k</c> (k &gt; 0) right
    /// before a Bar cuts that bar to k steps (the time signature is restated at the cut unless a TimeSig follows); a
    /// Velocity or Duration without its Pitch is ignored; a note without Velocity gets velocity 64's bin, without
    /// Duration a quarter note; notes longer than <see cref="RemiConfig.MaxNoteQuarters"/> are cut to it.
    /// Instruments become tracks in order of first use (drums on channel 10, others on channels 1-9, 11-16 in turn);
    /// keys become key signatures (<see cref="MusicalKey.SharpsFlats"/>).
    /// </summary>
    public Score Decode(ReadOnlySpan<int> ids) => RemiDecoder.Decode(this, ids);

    internal int TimeSigOrDefault(int numerator, int denominator)
    {
        var i = TimeSignatureIndex(numerator, denominator);
        return i >= 0 ? i : DefaultTimeSig;
    }

    internal static long ToStep(long tick, int tpq, int res) => RemiEncoder.ToStep(tick, tpq, res);
}
