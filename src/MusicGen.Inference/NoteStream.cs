using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;

namespace MusicGen.Inference;

/// <summary>
/// The one rule for streaming notes (library and service): a note is reported once, when it is final. While tokens
/// arrive, the sequence so far is decoded now and then, and a note counts as final when it ends before the latest
/// note start of that prefix (a later token can no longer change it; a note still sounding at the end of the prefix
/// may grow). At the end, every note of the finished piece not reported yet follows. The prefix is decoded at growing
/// intervals (every token at first, every ~3% of the length later, at least every 16 tokens while the reader keeps
/// up), so a long stream costs O(n log n) decoding.
/// </summary>
public sealed class NoteStream
{
    private readonly IMusicTokenizer _tokenizer;
    private readonly List<int> _tokens;
    private readonly HashSet<(int Program, bool Drum, Note Note)> _sent = [];
    private readonly int _keyShift;
    private int _generated;
    private int _decodedAt;

    /// <summary>Starts after <paramref name="prompt"/> (BOS, primer, prefix), whose notes are reported too.</summary>
    public NoteStream(IMusicTokenizer tokenizer, ReadOnlySpan<int> prompt)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _tokens = [.. prompt];
    }

    /// <summary>
    /// Streams <paramref name="sequence"/>'s notes from its prompt on, moved as its result will be (a model trained in
    /// C major / A minor: <see cref="GenerationResult.KeyShift"/>), so the streamed notes are the finished piece's.
    /// </summary>
    public NoteStream(GenerationSequence sequence)
        : this(sequence?.Tokenizer ?? throw new ArgumentNullException(nameof(sequence)), sequence.Tokens[..sequence.PromptLength])
    {
        _keyShift = sequence.KeyShift;
    }

    /// <summary>
    /// Adds a generated token; returns the notes that became final (often none). <paramref name="caughtUp"/> says no
    /// more tokens are waiting, so now is a good time to decode.
    /// </summary>
    public IReadOnlyList<GenerationEvent> Add(int token, bool caughtUp)
    {
        _tokens.Add(token);
        _generated++;
        int since = _generated - _decodedAt;
        if (since < Math.Max(1, _generated / 32) || (!caughtUp && since < 16)) return [];
        _decodedAt = _generated;
        return New(KeyFrame.Move(_tokenizer.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_tokens)), _keyShift), final: false);
    }

    /// <summary>The notes of the finished piece not reported yet.</summary>
    public IReadOnlyList<GenerationEvent> Finish(Score score) => New(score, final: true);

    private List<GenerationEvent> New(Score score, bool final)
    {
        long horizon = long.MaxValue;
        if (!final)
        {
            horizon = 0;
            foreach (var t in score.Tracks)
                foreach (var n in t.Notes)
                    horizon = Math.Max(horizon, n.Start);
        }
        var events = new List<GenerationEvent>();
        var time = TempoMap.For(score);
        for (int ti = 0; ti < score.Tracks.Count; ti++)
        {
            var track = score.Tracks[ti];
            foreach (var n in track.Notes)
            {
                if (n.End >= horizon || !_sent.Add((track.Program, track.IsDrum, n))) continue;
                events.Add(new GenerationEvent
                {
                    Kind = GenerationEventKind.Note, Note = n, Track = ti, Program = track.Program, IsDrum = track.IsDrum,
                    StartSeconds = time.ToSeconds(n.Start), EndSeconds = time.ToSeconds(n.End),
                });
            }
        }
        events.Sort((a, b) => a.Note.Start != b.Note.Start ? a.Note.Start.CompareTo(b.Note.Start) : a.Note.Pitch.CompareTo(b.Note.Pitch));
        return events;
    }
}
