using MusicGen.Core.Music;

namespace MusicGen.Server.Engine;

/// <summary>What the service shows about a loaded package.</summary>
internal sealed record ModelDescription(
    string Name,
    string Version,
    string Architecture,
    int ContextLength,
    string Tokenizer,
    int VocabularySize);

/// <summary>Sampling settings of one request (already validated).</summary>
internal sealed record SamplingSettings(
    float Temperature,
    int TopK,
    float TopP,
    float MinP,
    float RepetitionPenalty,
    bool Greedy,
    ulong Seed);

/// <summary>When a sequence stops: after <see cref="MaxTokens"/> new tokens, at EOS, or after bars / seconds of music.</summary>
internal sealed record StopSettings(int MaxTokens, int? Bars, double? Seconds);

/// <summary>
/// One loaded model version that can run batched decode steps. The server's seam onto the inference engine:
/// the scheduler only needs to let sequences join and leave a batch between steps and to advance all of them by one
/// token per step.
/// </summary>
internal interface IModelRuntime : IDisposable
{
    /// <summary>Name, version and shape of the package.</summary>
    ModelDescription Description { get; }

    /// <summary>Readable name of a token id (e.g. <c>Pitch_60</c>).</summary>
    string TokenName(int id);

    /// <summary>Turns a primer MIDI file into the prompt's tokens. Throws <see cref="PrimerException"/> when unreadable.</summary>
    int[] EncodePrimer(ReadOnlySpan<byte> midi);

    /// <summary>Decodes generated tokens (never throws).</summary>
    Score Decode(ReadOnlySpan<int> tokens);

    /// <summary>Writes a score as a Standard MIDI File.</summary>
    byte[] ToMidi(Score score);

    /// <summary>A batch that can hold up to <paramref name="capacity"/> sequences at once.</summary>
    IDecodeBatch CreateBatch(int capacity);
}

/// <summary>A set of sequences decoded together; sequences join and leave between steps. Used by one thread at a time.</summary>
internal interface IDecodeBatch : IDisposable
{
    /// <summary>Sequences now in the batch.</summary>
    int Count { get; }

    /// <summary>Most sequences the batch holds.</summary>
    int Capacity { get; }

    /// <summary>Adds a sequence (prefills its prompt, or none for an empty prompt).</summary>
    IDecodeSequence Join(int[]? prompt, SamplingSettings sampling, StopSettings stop);

    /// <summary>Removes a sequence and frees its slot; the next step no longer computes it.</summary>
    void Leave(IDecodeSequence sequence);

    /// <summary>Advances every unfinished sequence by one token.</summary>
    void Step();
}

/// <summary>One sequence in a batch: the tokens it made so far.</summary>
internal interface IDecodeSequence
{
    /// <summary>Tokens generated so far (prompt excluded).</summary>
    int Generated { get; }

    /// <summary>The i-th generated token.</summary>
    int TokenAt(int index);

    /// <summary>True once a stop condition was met; the sequence then waits to leave.</summary>
    bool IsFinished { get; }

    /// <summary>Why it stopped (<c>max_tokens</c>, <c>eos</c>, <c>bars</c>, <c>seconds</c>, <c>context</c>), or null.</summary>
    string? FinishReason { get; }
}

/// <summary>Loads a package folder into a runtime (validating manifest and checksums).</summary>
internal interface IModelLoader
{
    /// <summary>Reads and validates the package in <paramref name="directory"/>; throws with a reason when it is bad.</summary>
    IModelRuntime Load(string directory);
}

/// <summary>A primer MIDI file that could not be read; the message names the byte offset.</summary>
internal sealed class PrimerException(string message, Exception? inner = null) : Exception(message, inner);
