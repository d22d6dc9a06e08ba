using Microsoft.ML.OnnxRuntime;
using MusicGen.Core.Packaging;
using MusicGen.Onnx;

namespace MusicGen.Onnx.Tests;

/// <summary>The shared graph runners (training/MusicGen.Onnx/GraphRunners.cs) set up for the tests' configs.</summary>
internal static class Runners
{
    /// <summary>The portable graph with plain Run calls (present tensors copied back as the next past).</summary>
    public static PortableGraphRunner Portable(InferenceSession session, TransformerConfig config) => new(session, config);

    /// <summary>
    /// The fast graph the way the engine runs it: one IoBinding, KV buffers of <paramref name="bufferLength"/>
    /// (default: the context length) bound as both past and present, logits bound to a preallocated [B,1,V] buffer.
    /// </summary>
    public static FastGraphRunner Fast(InferenceSession session, TransformerConfig config, int batch, bool fp16 = false, int? bufferLength = null) =>
        new(session, new KvCacheLayout
        {
            Layers = config.Layers,
            KvHeads = config.KvHeads,
            HeadSize = config.HeadSize,
            ElementType = fp16 ? "float16" : "float32",
            MaxLength = bufferLength ?? config.ContextLength,
        }, config.VocabSize, batch);
}
