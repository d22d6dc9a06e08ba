using TorchSharp;
using static TorchSharp.torch;

namespace MusicGen.Training.Models;

/// <summary>
/// A token-level music language model: <c>forward(ids [B,T] int64) -> logits [B,T,V]</c> over the whole sequence,
/// plus the named weights the ONNX exporter reads. Each subclass also has an explicit-state step API.
/// </summary>
public abstract class TrainableMusicModel : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the module with the given TorchSharp name.</summary>
    protected TrainableMusicModel(string name) : base(name) { }

    /// <summary><c>transformer</c> or <c>lstm</c> (the package manifest's architecture).</summary>
    public abstract string Architecture { get; }

    /// <summary>The model's specification (architecture + hyper-parameters), enough to rebuild it.</summary>
    public abstract ModelSpec Spec { get; }

    /// <summary>Vocabulary size V.</summary>
    public abstract int VocabSize { get; }

    /// <summary>
    /// Every weight as a named float array (row-major) with its shape, keyed as in <c>docs/contracts.md</c>
    /// (TorchSharp's state_dict names). Tied weights appear once.
    /// </summary>
    public Dictionary<string, (float[] Data, long[] Shape)> ExportWeights()
    {
        var result = new Dictionary<string, (float[], long[])>(StringComparer.Ordinal);
        using var _ = no_grad();
        foreach (var (name, tensor) in state_dict())
        {
            using var t = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous();
            result[name] = (t.data<float>().ToArray(), t.shape.ToArray());
        }
        return result;
    }

    /// <summary>
    /// The weights (state_dict names) the logits are linear in: multiplying all of them by s multiplies every logit by
    /// s, i.e. divides the model's temperature by s.
    /// </summary>
    public abstract IReadOnlyList<string> LogitWeights { get; }

    /// <summary>
    /// Multiplies every logit by <paramref name="factor"/> (in (0, 10]) by scaling <see cref="LogitWeights"/>: below 1
    /// the model's distributions are flatter (temperature scaling, done once on the weights so every graph has it).
    /// </summary>
    public void ScaleLogits(double factor)
    {
        if (!(factor > 0 && factor <= 10)) throw new ArgumentException($"logit scale {factor} must be in (0, 10]");
        using var _ = no_grad();
        var weights = state_dict();
        foreach (var name in LogitWeights) weights[name].mul_(factor);
    }

    /// <summary>Number of trainable scalars.</summary>
    public long ParameterCount() => parameters().Sum(p => p.numel());
}
