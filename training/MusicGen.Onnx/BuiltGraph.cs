using MusicGen.Core.Packaging;

namespace MusicGen.Onnx;

/// <summary>
/// An ONNX graph with the manifest description of it (everything but the file hash): either serialized already
/// (self-contained) or held as its builder, so a package writer can serialize it with its fp32 weights in the
/// package's weights file (<see cref="ToModelBytes"/>).
/// </summary>
public sealed class BuiltGraph
{
    private readonly OnnxGraphBuilder? _builder;
    private byte[]? _model;

    /// <summary>Creates a self-contained built graph from its ModelProto bytes.</summary>
    public BuiltGraph(GraphEntry entry, byte[] model)
    {
        Entry = entry ?? throw new ArgumentNullException(nameof(entry));
        _model = model ?? throw new ArgumentNullException(nameof(model));
    }

    /// <summary>
    /// Creates a built graph from its builder. <paramref name="sharesWeights"/>: its fp32 initializers may go into a
    /// package's weights file (false keeps the graph self-contained in every package, as the fp16 graph is).
    /// </summary>
    public BuiltGraph(GraphEntry entry, OnnxGraphBuilder builder, bool sharesWeights)
    {
        Entry = entry ?? throw new ArgumentNullException(nameof(entry));
        _builder = builder ?? throw new ArgumentNullException(nameof(builder));
        SharesWeights = sharesWeights;
    }

    /// <summary>Manifest entry (variant, file, precision, inputs, outputs, logits, KV layout; sha256 filled when written).</summary>
    public GraphEntry Entry { get; }

    /// <summary>True when the graph's fp32 initializers may be stored in a package weights file.</summary>
    public bool SharesWeights { get; }

    /// <summary>Self-contained ModelProto bytes (every initializer inline).</summary>
    public byte[] Model => _model ??= _builder!.ToModelBytes();

    /// <summary>
    /// ModelProto bytes with the fp32 initializers <paramref name="weights"/> stores referenced as external data
    /// (when <see cref="SharesWeights"/>; else the self-contained bytes).
    /// </summary>
    /// <exception cref="InvalidOperationException">A name already holds another tensor in <paramref name="weights"/>.</exception>
    public byte[] ToModelBytes(PackageWeights? weights) =>
        weights is null || !SharesWeights || _builder is null ? Model : _builder.ToModelBytes(weights);
}
