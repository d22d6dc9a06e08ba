using MusicGen.Core.Packaging;
using MusicGen.Inference;

namespace MusicGen.Evaluation;

/// <summary>
/// <see cref="ISequenceLogits"/> over a model package: the inference library's <see cref="SequenceScorer"/> (the
/// portable transformer graph with an empty KV cache, or the LSTM graph from a zero state), one sequence per run.
/// </summary>
public sealed class OnnxSequenceLogits : ISequenceLogits, IDisposable
{
    private readonly SequenceScorer _scorer;

    private OnnxSequenceLogits(SequenceScorer scorer) => _scorer = scorer;

    /// <summary>The package.</summary>
    public ModelPackage Package => _scorer.Package;

    /// <summary>The graph that runs.</summary>
    public GraphEntry Graph => _scorer.Graph;

    /// <summary>Logits per position: the graph's output width (at least the vocabulary).</summary>
    public int VocabularySize => _scorer.VocabularySize;

    /// <summary>The package's context length for a transformer; unbounded for an LSTM.</summary>
    public int ContextLength => _scorer.ContextLength;

    /// <summary>Loads a package (hashes verified) and opens its all-positions graph.</summary>
    /// <param name="packageDirectory">The package folder (<c>onnx/&lt;name&gt;</c>).</param>
    /// <param name="intraOpThreads">ONNX Runtime intra-op threads (0 = one per core).</param>
    /// <exception cref="ModelPackageException">The package is invalid or has no all-positions graph.</exception>
    public static OnnxSequenceLogits Open(string packageDirectory, int intraOpThreads = 0) =>
        new(SequenceScorer.Open(packageDirectory, intraOpThreads));

    /// <inheritdoc />
    public void Run(ReadOnlySpan<int> tokens, Span<float> logits) => _scorer.Run(tokens, logits);

    /// <inheritdoc />
    public void Dispose() => _scorer.Dispose();
}
