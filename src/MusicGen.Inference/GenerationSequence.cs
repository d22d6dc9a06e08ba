using System.Diagnostics;
using MusicGen.Core.Corpus;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;
using MusicGen.Inference.Sampling;

namespace MusicGen.Inference;

/// <summary>
/// One sequence being generated: its prompt, tokens so far, sampler (own seeded random generator), grammar state
/// and stop conditions. Made by <see cref="MusicModel.CreateSequence"/>, advanced by a <see cref="GenerationBatch"/>.
/// </summary>
public sealed class GenerationSequence
{
    private readonly int[] _tokens;
    private readonly TokenSampler _sampler;
    private readonly ITokenGrammar _grammar;
    private readonly IMusicTokenizer _tokenizer;
    private readonly int _maxTokens;
    private readonly int? _bars;
    private readonly double? _seconds;
    private readonly int _barsAtPrompt;
    private readonly double _secondsAtPrompt;
    private readonly int _eos;
    private readonly long _created;
    private long _prefillStart, _firstToken, _finished;

    internal GenerationSequence(IMusicTokenizer tokenizer, GenerationRequest request, int[] prompt, int maxLength, int maxTokens, long seed, ITokenGrammar? grammar = null)
    {
        _tokenizer = tokenizer;
        Request = request;
        Seed = seed;
        _tokens = new int[request.SlideWindow ? Math.Max(maxLength, prompt.Length + maxTokens + 1) : maxLength];
        prompt.CopyTo(_tokens, 0);
        Length = prompt.Length;
        PromptLength = prompt.Length;
        _maxTokens = maxTokens;
        _bars = request.Bars;
        _seconds = request.Seconds;
        _eos = tokenizer.Eos;
        _grammar = grammar ?? tokenizer.CreateGrammar();
        _grammar.Reset();
        foreach (var t in prompt) _grammar.Accept(t);
        _barsAtPrompt = _grammar.Bars;
        _secondsAtPrompt = _grammar.Seconds;
        if (!request.AllowEarlyEnd)
        {
            // No bar of new music is left silent (a model that learned leading silence would otherwise open pieces
            // with empty bars). Honest lengths: the grammar keeps the piece going until the target bar (seconds:
            // until it is known).
            _grammar.SoundingBars = true;
            if (_bars is int bars) _grammar.TargetBars = _barsAtPrompt + bars;
            else if (_seconds is not null) _grammar.TargetBars = int.MaxValue;
        }
        _sampler = new TokenSampler(request.Sampling, tokenizer.VocabularySize, seed, tokenizer.Eos);
        _created = Stopwatch.GetTimestamp();
        _lengthLimit = maxLength;
    }

    /// <summary>What lenient reading repaired in the primer file (empty when nothing was).</summary>
    public IReadOnlyList<string> PrimerRepairs { get; init; } = [];

    /// <summary>A key asked of a model without key tokens: written as the piece's key signature.</summary>
    internal MusicalKey? RequestedKey { get; init; }

    /// <summary>The package's track-program map (<see cref="ModelPackage.Programs"/>), which names generated tracks.</summary>
    internal TrackProgramMap TrackPrograms { get; init; } = TrackProgramMap.None;

    /// <summary>Semitones the decoded notes are moved by (a model trained in C major / A minor; see <see cref="GenerationResult.KeyShift"/>); 0 otherwise.</summary>
    public int KeyShift { get; internal init; }

    /// <summary>The tokenizer the sequence's tokens belong to.</summary>
    internal IMusicTokenizer Tokenizer => _tokenizer;

    /// <summary>The request this sequence serves.</summary>
    public GenerationRequest Request { get; }

    /// <summary>The seed of this sequence's random generator.</summary>
    public long Seed { get; }

    /// <summary>Tokens given rather than generated (BOS, primer, forced prefix).</summary>
    public int PromptLength { get; }

    /// <summary>All tokens so far (prompt + generated).</summary>
    public int Length { get; private set; }

    /// <summary>Tokens generated so far.</summary>
    public int GeneratedCount => Length - PromptLength;

    /// <summary>All tokens so far (prompt + generated); valid until the next step.</summary>
    public ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, Length);

    /// <summary>Bars of new music completed so far.</summary>
    public int Bars => _grammar.Bars - _barsAtPrompt;

    /// <summary>Seconds of new music written so far.</summary>
    public double Seconds => _grammar.Seconds - _secondsAtPrompt;

    /// <summary>Why the sequence stopped, or <see cref="StopReason.None"/> while it runs.</summary>
    public StopReason StopReason { get; private set; }

    /// <summary>True once the sequence stopped.</summary>
    public bool IsFinished => StopReason != StopReason.None;

    /// <summary>Free slot for the caller (a scheduler's request state); the engine never reads it.</summary>
    public object? Tag { get; set; }

    internal int Row { get; set; } = -1;

    private int _lengthLimit;

    /// <summary>Caps the sequence at a batch slot's length (set when it joins a batch).</summary>
    internal void LimitLength(int slotLength) => _lengthLimit = Math.Min(_tokens.Length, slotLength);

    internal int LastToken => _tokens[Length - 1];

    /// <summary>The model's key tokens (built once per model), restated by <see cref="NextWindow"/>; null without key tokens.</summary>
    internal WindowLead? KeyLead { get; init; }

    /// <summary>Times the window slid (the context was full and the last half was re-prefilled).</summary>
    public int Slides { get; private set; }

    /// <summary>
    /// The next prefill when a slot is full: the last half of a slot's worth of tokens (the last sampled token
    /// included) after the key in force before them (<see cref="WindowLead"/>: the latest key token, as training
    /// windows restate it), else after BOS.
    /// </summary>
    internal int[] NextWindow(int slotLength)
    {
        int keep = Math.Max(1, slotLength / 2);
        var window = new int[keep + 1];
        var kept = _tokens.AsSpan(Length - keep, keep);
        window[0] = KeyLead?.Latest(_tokens.AsSpan(0, Length - keep)) ?? _tokenizer.Bos;
        kept.CopyTo(window.AsSpan(1));
        Slides++;
        return window;
    }

    internal void MarkPrefillStart() => _prefillStart = Stopwatch.GetTimestamp();

    /// <summary>Samples the next token from <paramref name="logits"/>, appends it and checks the stop conditions.</summary>
    internal void SampleAndAppend(ReadOnlySpan<float> logits)
    {
        var barsBefore = _grammar.Bars;
        var token = _sampler.Next(logits, Tokens, _grammar, banEndOfSequence: LengthPending);
        _tokens[Length++] = token;
        _grammar.Accept(token);
        if (_firstToken == 0) _firstToken = Stopwatch.GetTimestamp();
        if (token == _eos) Finish(StopReason.EndOfSequence);
        else if (GeneratedCount >= _maxTokens) Finish(StopReason.MaxTokens);
        else if (_bars is int b && Bars >= b) Finish(StopReason.Bars);
        else if (_seconds is double s && SecondsReached(s, _grammar.Bars > barsBefore)) Finish(StopReason.Seconds);
        else if (Length >= (Request.SlideWindow ? _tokens.Length : _lengthLimit)) Finish(StopReason.ContextFull);
    }

    /// <summary>True while a length target holds the end-of-sequence token back.</summary>
    private bool LengthPending => _grammar.TargetBars is int target && _grammar.Bars < target;

    /// <summary>
    /// Whether a length in seconds is complete. With an early end allowed: once the music reaches it. Otherwise at the
    /// first bar line at or after it: when a bar just closed there, now; else the bar in progress becomes the last.
    /// </summary>
    private bool SecondsReached(double seconds, bool barJustClosed)
    {
        if (Seconds < seconds) return false;
        if (_grammar.TargetBars is not int target) return true;
        if (target == int.MaxValue)
        {
            if (barJustClosed) return true;
            _grammar.TargetBars = _grammar.Bars + 1;
            return false;
        }
        return _grammar.Bars >= target;
    }

    internal void Finish(StopReason reason)
    {
        if (StopReason != StopReason.None) return;
        StopReason = reason;
        _finished = Stopwatch.GetTimestamp();
    }

    /// <summary>Decodes the tokens so far into a score (the grammar keeps it valid; decoding never throws). Tracks of a
    /// program the package's track-program map gives are named after their track (e.g. <c>MELODY</c>).</summary>
    public Score DecodeScore()
    {
        var score = _tokenizer.Decode(Tokens);
        score = KeyFrame.Move(score, KeyShift);
        TrackPrograms.NameTracks(score);
        return score;
    }

    /// <summary>The result: MIDI bytes, score, tokens and timing. Call once the sequence is finished (or to snapshot it).</summary>
    public GenerationResult ToResult()
    {
        var score = DecodeScore();
        if (RequestedKey is { } key && score.KeySignatures.Count == 0) score.KeySignatures.Add(new KeySignature(0, key.SharpsFlats, key.IsMinor));
        score = WithKeySignature(score);
        var end = _finished != 0 ? _finished : Stopwatch.GetTimestamp();
        var start = _prefillStart != 0 ? _prefillStart : _created;
        var first = _firstToken != 0 ? _firstToken : end;
        var timing = new GenerationTiming(
            Queued: Stopwatch.GetElapsedTime(_created, start),
            Prefill: Stopwatch.GetElapsedTime(start, first),
            Decode: Stopwatch.GetElapsedTime(first, end),
            Total: Stopwatch.GetElapsedTime(_created, end),
            GeneratedTokens: GeneratedCount);
        return new GenerationResult
        {
            Midi = MidiScore.ToBytes(score),
            Score = score,
            Tokens = Tokens.ToArray(),
            PromptTokenCount = PromptLength,
            StopReason = StopReason,
            Seed = Seed,
            Timing = timing,
            PrimerRepairs = PrimerRepairs,
            KeyShift = KeyShift,
        };
    }

    /// <summary>
    /// Generated MIDI always carries a key signature: the keys the tokens named (REMI with key tokens decodes them
    /// into key signatures, changes included), else, when they named none, the key <see cref="KeyFinder"/> estimates
    /// from the notes, at tick 0 (none for a piece without notes).
    /// </summary>
    internal static Score WithKeySignature(Score score) => KeyFinder.WithKeySignature(score);
}
