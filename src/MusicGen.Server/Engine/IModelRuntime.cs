using MusicGen.Core.Music;

namespace MusicGen.Server.Engine;

/// <summary>What the service shows about a loaded package.</summary>
internal sealed record ModelDescription(
    string Name,
    string Version,
    string Architecture,
    int ContextLength,
    string Tokenizer,
    int VocabularySize,
    string Graph,
    string Provider);

/// <summary>Sampling settings of one request (already validated).</summary>
internal sealed record SamplingSettings(
    float Temperature,
    int TopK,
    float TopP,
    float MinP,
    float RepetitionPenalty,
    bool Greedy);

/// <summary>One generation as the service asks the engine for it.</summary>
internal sealed record GenerationSpec(SamplingSettings Sampling, int? MaxTokens, int? Bars, double? Seconds, long Seed, byte[]? PrimerMidi,
    IReadOnlyDictionary<int, float>? TokenBias = null);

/// <summary>
/// One loaded model version that can run batched decode steps: the server's seam onto MusicGen.Inference. The
/// scheduler only needs sequences that join and leave a batch between steps, and a step that advances all of them
/// by one token.
/// </summary>
internal interface IModelRuntime : IDisposable
{
    /// <summary>Name, version and shape of the package.</summary>
    ModelDescription Description { get; }

    /// <summary>Readable name of a token id (e.g. <c>Pitch_60</c>).</summary>
    string TokenName(int id);

    /// <summary>The id of a token name, or null when the vocabulary has no such token.</summary>
    int? TokenId(string name);

    /// <summary>
    /// Prepares a sequence (validates, encodes the primer, sets up its seeded sampler and stop conditions); thread-safe.
    /// Throws <see cref="MusicGen.Inference.Errors.PrimerException"/> for an empty or unreadable primer or one that does
    /// not fit the context, <see cref="MusicGen.Core.Limits.InputLimitExceededException"/> past an input limit, and
    /// <see cref="ArgumentException"/> for an invalid request.
    /// </summary>
    IDecodeSequence CreateSequence(GenerationSpec spec);

    /// <summary>Decodes tokens into a score (total: never throws); thread-safe.</summary>
    Score Decode(ReadOnlySpan<int> tokens);

    /// <summary>The result of a finished sequence: its score and MIDI file (decoded on the calling thread).</summary>
    MusicGen.Inference.GenerationResult Finish(IDecodeSequence sequence);

    /// <summary>A batch that can hold up to <paramref name="capacity"/> sequences at once.</summary>
    IDecodeBatch CreateBatch(int capacity);
}

/// <summary>A set of sequences decoded together; sequences join and leave between steps. Driven by one thread.</summary>
internal interface IDecodeBatch : IDisposable
{
    /// <summary>Sequences now in the batch.</summary>
    int Count { get; }

    /// <summary>Most sequences the batch holds.</summary>
    int Capacity { get; }

    /// <summary>Adds a sequence: prefills its prompt and samples its first token (which may already finish it).</summary>
    void Join(IDecodeSequence sequence);

    /// <summary>Takes a sequence out (no-op when it already left); the next step no longer computes it.</summary>
    void Leave(IDecodeSequence sequence);

    /// <summary>Advances every sequence in the batch by one token; finished ones leave at once.</summary>
    void Step();
}

/// <summary>One sequence: its prompt and the tokens generated so far. Read on the thread that drives its batch.</summary>
internal interface IDecodeSequence
{
    /// <summary>Prompt tokens (BOS, primer, prefix).</summary>
    int[] Prompt { get; }

    /// <summary>Tokens generated so far (prompt excluded).</summary>
    int Generated { get; }

    /// <summary>The i-th generated token.</summary>
    int TokenAt(int index);

    /// <summary>True once a stop condition was met (or it was removed).</summary>
    bool IsFinished { get; }

    /// <summary>Why it stopped (<c>max_tokens</c>, <c>eos</c>, <c>bars</c>, <c>seconds</c>, <c>context</c>, <c>cancelled</c>), or null.</summary>
    string? FinishReason { get; }

    /// <summary>The seed of its random generator.</summary>
    long Seed { get; }
}

/// <summary>Loads a package folder into a runtime (validating manifest and checksums).</summary>
internal interface IModelLoader
{
    /// <summary>Reads and validates the package in <paramref name="directory"/>; throws with a reason when it is bad.</summary>
    IModelRuntime Load(string directory);
}
