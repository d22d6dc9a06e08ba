using MusicGen.Core.Limits;
using MusicGen.Core.Music;

namespace MusicGen.Core.Tokenization;

/// <summary>
/// Turns a <see cref="Score"/> into token ids and back. A tokenizer is part of a model: its <see cref="ToJson"/>
/// configuration is stored in the model package and <see cref="TokenizerJson.FromJson(string)"/> rebuilds the same ids.
/// </summary>
public interface IMusicTokenizer
{
    /// <summary>Kind of tokenization: <c>remi</c>, <c>performance</c> or <c>chorale</c>.</summary>
    string Kind { get; }

    /// <summary>Number of token ids (ids are 0 .. VocabularySize - 1).</summary>
    int VocabularySize { get; }

    /// <summary>Readable name of a token, e.g. <c>Bar</c>, <c>Position_12</c>, <c>Pitch_60</c>, <c>TimeShift_120ms</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside the vocabulary.</exception>
    string TokenName(int id);

    /// <summary>Id of a token name.</summary>
    /// <exception cref="KeyNotFoundException">The name is not in the vocabulary.</exception>
    int TokenId(string name);

    /// <summary>Padding token id.</summary>
    int Pad { get; }

    /// <summary>Beginning-of-sequence token id.</summary>
    int Bos { get; }

    /// <summary>End-of-sequence token id.</summary>
    int Eos { get; }

    /// <summary>Encodes a score as <c>BOS ... EOS</c> within <see cref="InputLimits.Default"/>.</summary>
    /// <exception cref="InputLimitExceededException">The score exceeds a limit (checked before encoding allocates).</exception>
    int[] Encode(Score score);

    /// <summary>
    /// Encodes a score as <c>BOS ... EOS</c>. Notes and length in ticks (<see cref="InputLimits.CheckScore"/>) and
    /// the length on the tokenizer's time grid (<see cref="InputLimits.MaxFrames"/>; REMI also
    /// <see cref="InputLimits.MaxTokensPerBar"/>) are checked before the work they bound is done.
    /// </summary>
    /// <exception cref="InputLimitExceededException">The score exceeds one of <paramref name="limits"/>.</exception>
    int[] Encode(Score score, InputLimits limits);

    /// <summary>
    /// Decodes any id sequence into a valid score. Total: never throws; ids outside the vocabulary and tokens that
    /// cannot apply where they stand are ignored, hanging notes are closed, decoding stops at the first EOS.
    /// </summary>
    Score Decode(ReadOnlySpan<int> ids);

    /// <summary>The configuration as JSON; <see cref="TokenizerJson.FromJson(string)"/> rebuilds the same tokenizer.</summary>
    string ToJson();

    /// <summary>A fresh grammar state for one generated sequence.</summary>
    ITokenGrammar CreateGrammar();
}

/// <summary>
/// Which tokens may legally follow a prefix. A sampler masks logits with it so that what it generates decodes
/// cleanly, and stops on <see cref="Bars"/>, <see cref="Seconds"/> or <see cref="IsFinished"/>.
/// No allocation per token after construction.
/// </summary>
public interface ITokenGrammar
{
    /// <summary>Back to the empty prefix (before BOS).</summary>
    void Reset();

    /// <summary>Advances by one token. An illegal or unknown token is tolerated (the state stays valid), not thrown.</summary>
    void Accept(int token);

    /// <summary>
    /// Sets every logit whose token is illegal next to <see cref="float.NegativeInfinity"/>. Entries past the
    /// vocabulary (a model with a padded output) are masked too. At least one token is always left legal.
    /// </summary>
    void MaskLogits(Span<float> logits);

    /// <summary>Completed bars so far.</summary>
    int Bars { get; }

    /// <summary>Seconds of music so far (onset time of the current position).</summary>
    double Seconds { get; }

    /// <summary>True once EOS has been accepted.</summary>
    bool IsFinished { get; }

    /// <summary>
    /// The length the piece must reach, in bars counted like <see cref="Bars"/>. Null (the default) lets it end
    /// whenever the grammar allows. Otherwise, until <see cref="Bars"/> reaches it, EOS is illegal and so is closing a
    /// bar in which no note sounds; and no note may sound past the end of that bar, so the piece ends cleanly at its
    /// bar line. <see cref="int.MaxValue"/> keeps the piece going while its last bar is not yet known (a length in
    /// seconds). <see cref="Reset"/> clears it.
    /// </summary>
    int? TargetBars { get; set; }

    /// <summary>
    /// When true, a bar in which no note sounds cannot be closed, though the piece may still end where the grammar
    /// allows it (a pending <see cref="TargetBars"/> implies this and also holds the end back). Grammars whose bars are
    /// bars of notation apply it (REMI, chorale); the performance grammar's bars are spans of time and it ignores it, as
    /// it ignores silent bars under a target. <see cref="Reset"/> clears it.
    /// </summary>
    bool SoundingBars { get; set; }
}
