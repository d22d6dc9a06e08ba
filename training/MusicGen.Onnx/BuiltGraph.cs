using MusicGen.Core.Packaging;

namespace MusicGen.Onnx;

/// <summary>A serialized ONNX graph with the manifest description of it (everything but the file hash).</summary>
public sealed class BuiltGraph
{
    /// <summary>Creates a built graph.</summary>
    public BuiltGraph(GraphEntry entry, byte[] model)
    {
        Entry = entry ?? throw new ArgumentNullException(nameof(entry));
        Model = model ?? throw new ArgumentNullException(nameof(model));
    }

    /// <summary>Manifest entry (variant, file, precision, inputs, outputs, logits, KV layout; sha256 filled when written).</summary>
    public GraphEntry Entry { get; }

    /// <summary>ModelProto bytes.</summary>
    public byte[] Model { get; }
}
