using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MusicGen.Training.Models;

/// <summary>RMSNorm: <c>x * 1/sqrt(mean(x^2, last axis) + eps) * weight</c> (eps = 1e-5, no bias).</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    /// <summary>The epsilon of the contract.</summary>
    public const double Epsilon = 1e-5;

    private readonly Parameter weight;

    /// <summary>Creates a norm over the last axis of size <paramref name="dim"/> (weight = 1).</summary>
    public RmsNorm(long dim) : base(nameof(RmsNorm))
    {
        weight = new Parameter(ones(dim));
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var inv = x.square().mean([-1L], keepdim: true).add_(Epsilon).rsqrt_();
        return (x * inv * weight).MoveToOuterDisposeScope();
    }
}
