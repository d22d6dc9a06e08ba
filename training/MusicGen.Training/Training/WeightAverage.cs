using MusicGen.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MusicGen.Training.Training;

/// <summary>
/// Exponential moving average of a model's parameters (<c>training.emaDecay</c>): after every optimizer step each
/// shadow weight becomes <c>decay * shadow + (1 - decay) * weight</c>, starting from the weights the run starts with.
/// The trainer evaluates, checkpoints (tensors <c>ema/&lt;name&gt;</c>) and so exports the shadow weights, while the
/// optimizer keeps updating the live ones.
/// </summary>
public sealed class WeightAverage : IDisposable
{
    private readonly List<(string Name, Tensor Live, Tensor Shadow)> slots = [];

    /// <summary>Starts the average at the model's current weights.</summary>
    public WeightAverage(TrainableMusicModel model, double decay)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (decay is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(decay), decay, "the EMA decay must be in (0, 1)");
        Decay = decay;
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
            slots.Add((name, p, p.detach().clone().DetachFromDisposeScope()));
    }

    /// <summary>Weight of the old average at each update.</summary>
    public double Decay { get; }

    /// <summary>Shadow weights by parameter name (for checkpoints).</summary>
    public IEnumerable<(string Name, Tensor Shadow)> State => slots.Select(s => (s.Name, s.Shadow));

    /// <summary>Folds the current weights into the average (call after each optimizer step).</summary>
    public void Update()
    {
        using var _ = no_grad();
        foreach (var (_, live, shadow) in slots) shadow.mul_(Decay).add_(live, alpha: 1 - Decay);
    }

    /// <summary>Restores the shadow weights from checkpoint tensors (<c>ema/&lt;name&gt;</c>); false when none are there.</summary>
    public bool Load(IReadOnlyDictionary<string, (float[] Data, long[] Shape)> tensors, string source)
    {
        if (!slots.Any(s => tensors.ContainsKey(Checkpoint.EmaPrefix + s.Name))) return false;
        using var _ = no_grad();
        foreach (var (name, _, shadow) in slots)
        {
            if (!tensors.TryGetValue(Checkpoint.EmaPrefix + name, out var t)) throw new InvalidDataException($"{source} has no EMA weight {name}");
            using var src = tensor(t.Data, t.Shape);
            shadow.copy_(src);
        }
        return true;
    }

    /// <summary>
    /// Puts the shadow weights into the model until the returned object is disposed, which puts the live ones back
    /// (evaluation of the averaged weights).
    /// </summary>
    public IDisposable Swap()
    {
        using var _ = no_grad();
        var saved = slots.Select(s => s.Live.detach().clone().DetachFromDisposeScope()).ToList();
        foreach (var (_, live, shadow) in slots) live.copy_(shadow);
        return new Restore(slots, saved);
    }

    private sealed class Restore(List<(string Name, Tensor Live, Tensor Shadow)> slots, List<Tensor> saved) : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            using var _ = no_grad();
            for (var i = 0; i < slots.Count; i++)
            {
                slots[i].Live.copy_(saved[i]);
                saved[i].Dispose();
            }
        }
    }

    /// <summary>Frees the shadow weights.</summary>
    public void Dispose()
    {
        foreach (var s in slots) s.Shadow.Dispose();
        slots.Clear();
    }
}
