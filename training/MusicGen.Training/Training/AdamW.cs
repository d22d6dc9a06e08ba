using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MusicGen.Training.Training;

/// <summary>
/// AdamW (decoupled weight decay, bias-corrected moments) over named parameters, with its whole state
/// (step count, first and second moments) exposed for exact checkpoint/resume. Same update as torch.optim.AdamW.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly List<Slot> slots = [];
    private readonly double beta1, beta2, eps, weightDecay;

    private sealed record Slot(string Name, Parameter Param, Tensor M, Tensor V, bool Decay);

    /// <summary>Creates the optimizer; parameters whose <c>requires_grad</c> is false are skipped.</summary>
    /// <param name="parameters">Named parameters.</param>
    /// <param name="beta1">First-moment decay.</param>
    /// <param name="beta2">Second-moment decay.</param>
    /// <param name="eps">Denominator epsilon.</param>
    /// <param name="weightDecay">Decoupled decay applied to parameters with 2 or more dimensions.</param>
    public AdamW(IEnumerable<(string Name, Parameter Param)> parameters, double beta1, double beta2, double eps, double weightDecay)
    {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        foreach (var (name, p) in parameters)
        {
            if (!p.requires_grad) continue;
            slots.Add(new Slot(name, p, zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope(), p.dim() >= 2));
        }
    }

    /// <summary>Steps taken.</summary>
    public long StepCount { get; set; }

    /// <summary>Names of the optimised parameters.</summary>
    public IEnumerable<string> Names => slots.Select(s => s.Name);

    /// <summary>Clears the gradients.</summary>
    public void ZeroGrad()
    {
        foreach (var s in slots) s.Param.grad?.zero_();
    }

    /// <summary>The parameters (for gradient clipping).</summary>
    public IEnumerable<Parameter> Parameters => slots.Select(s => s.Param);

    /// <summary>One update with learning rate <paramref name="lr"/>.</summary>
    public void Step(double lr)
    {
        StepCount++;
        var bc1 = 1 - Math.Pow(beta1, StepCount);
        var bc2 = 1 - Math.Pow(beta2, StepCount);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        foreach (var s in slots)
        {
            var g = s.Param.grad;
            if (g is null) continue;
            if (s.Decay && weightDecay > 0) s.Param.mul_(1 - lr * weightDecay);
            s.M.mul_(beta1).add_(g, alpha: 1 - beta1);
            s.V.mul_(beta2).addcmul_(g, g, value: 1 - beta2);
            var denom = s.V.sqrt().div_(Math.Sqrt(bc2)).add_(eps);
            s.Param.addcdiv_(s.M, denom, value: -lr / bc1);
        }
    }

    /// <summary>Moments by parameter name (for checkpoints).</summary>
    public IEnumerable<(string Name, Tensor M, Tensor V)> State => slots.Select(s => (s.Name, s.M, s.V));

    /// <summary>Restores the moments of one parameter.</summary>
    public void Load(string name, Tensor m, Tensor v)
    {
        var s = slots.FirstOrDefault(x => x.Name == name) ?? throw new InvalidDataException($"checkpoint has optimizer state for unknown parameter {name}");
        using var _ = no_grad();
        s.M.copy_(m);
        s.V.copy_(v);
    }

    /// <summary>Frees the moments.</summary>
    public void Dispose()
    {
        foreach (var s in slots)
        {
            s.M.Dispose();
            s.V.Dispose();
        }
        slots.Clear();
    }
}

/// <summary>Linear warm-up to the peak, then cosine decay to the minimum at the last step.</summary>
public static class LearningRateSchedule
{
    /// <summary>Learning rate for 0-based <paramref name="step"/>.</summary>
    public static double At(int step, TrainerOptions o)
    {
        if (o.WarmupSteps > 0 && step < o.WarmupSteps) return o.LearningRate * (step + 1) / o.WarmupSteps;
        var span = Math.Max(1, o.MaxSteps - o.WarmupSteps);
        var progress = Math.Clamp((double)(step - o.WarmupSteps) / span, 0, 1);
        return o.MinLearningRate + 0.5 * (o.LearningRate - o.MinLearningRate) * (1 + Math.Cos(Math.PI * progress));
    }
}
