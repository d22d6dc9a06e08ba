using MusicGen.Core.Packaging;
using MusicGen.Inference;

namespace MusicGen.Evaluation;

/// <summary>
/// <see cref="ISequenceLogits"/> over a model package: the inference library's <see cref="SequenceScorer"/> (the
/// portable transformer graph with an empty KV cache, the LSTM graph from a zero state, or a fast graph one token per
/// run), one sequence per run.
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

    /// <summary>Loads a package (hashes verified) and opens its all-positions graph, or the graph asked for.</summary>
    /// <param name="packageDirectory">The package folder (<c>onnx/&lt;name&gt;</c>).</param>
    /// <param name="intraOpThreads">ONNX Runtime intra-op threads (0 = one per core).</param>
    /// <param name="graph">Which graph scores (see <see cref="SequenceScorer.Open"/>); Auto: the all-positions graph.</param>
    /// <exception cref="ModelPackageException">The package is invalid or lacks the graph.</exception>
    public static OnnxSequenceLogits Open(string packageDirectory, int intraOpThreads = 0, GraphPreference graph = GraphPreference.Auto) =>
        new(SequenceScorer.Open(packageDirectory, intraOpThreads, graph));

    /// <inheritdoc />
    public void Run(ReadOnlySpan<int> tokens, Span<float> logits) => _scorer.Run(tokens, logits);

    /// <inheritdoc />
    public void Dispose() => _scorer.Dispose();
}
