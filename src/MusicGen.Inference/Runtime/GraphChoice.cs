using MusicGen.Core.Packaging;

namespace MusicGen.Inference.Runtime;

/// <summary>
/// Which transformer graph runs on which execution provider. On the CPU: the fp32 fast graph (GroupQueryAttention;
/// ONNX Runtime's CPU kernel needs a head size that is a multiple of 16), its int8-weight variant on request, else the
/// portable graph. On CUDA: the fp16 fast graph (GroupQueryAttention runs fp16/bf16 there, not fp32) with its KV
/// cache in device memory, else the portable graph. A pure function of the package's graphs and the provider, so the
/// choice is tested without a GPU.
/// </summary>
internal static class GraphChoice
{
    /// <summary>The variant to run for <paramref name="preference"/>, or throws <see cref="ModelPackageException"/> saying why none fits.</summary>
    /// <param name="preference">What was asked for.</param>
    /// <param name="cuda">True when sessions run on the CUDA execution provider.</param>
    /// <param name="has">Whether the package has a graph of the given variant.</param>
    /// <param name="headSize">The model's head size.</param>
    /// <param name="package">The package folder, for messages.</param>
    public static string Choose(GraphPreference preference, bool cuda, Func<string, bool> has, int headSize, string package)
    {
        ArgumentNullException.ThrowIfNull(has);
        string fast = cuda ? GraphVariants.FastFp16 : GraphVariants.Fast;
        bool fastRuns = has(fast) && (cuda || headSize % 16 == 0);
        bool portable = has(GraphVariants.Portable);
        return preference switch
        {
            GraphPreference.Fast when !has(fast) => throw new ModelPackageException(cuda
                ? $"Model package '{package}' has no '{GraphVariants.FastFp16}' graph, which the fast path runs on CUDA (Graph = Fast was asked for); export it with musicgen-train export --variant all, or use the portable graph."
                : $"Model package '{package}' has no '{GraphVariants.Fast}' graph (Graph = Fast was asked for)."),
            GraphPreference.Fast when !fastRuns => throw new ModelPackageException(
                $"Model package '{package}': the fast graph needs headSize to be a multiple of 16 on the CPU (it is {headSize}); use the portable graph."),
            GraphPreference.Fast => fast,
            GraphPreference.FastInt8 when cuda => throw new ModelPackageException(
                $"Model package '{package}': the int8-weight graph runs on the CPU only (Graph = FastInt8 with ExecutionProvider = cuda); use Fast or Auto on CUDA."),
            GraphPreference.FastInt8 when !has(GraphVariants.FastInt8) => throw new ModelPackageException(
                $"Model package '{package}' has no '{GraphVariants.FastInt8}' graph (Graph = FastInt8 was asked for); export it with musicgen-train export --variant all."),
            GraphPreference.FastInt8 when headSize % 16 != 0 => throw new ModelPackageException(
                $"Model package '{package}': the fast graph needs headSize to be a multiple of 16 on the CPU (it is {headSize}); use the portable graph."),
            GraphPreference.FastInt8 => GraphVariants.FastInt8,
            GraphPreference.Portable when !portable => throw new ModelPackageException($"Model package '{package}' has no 'portable' graph (Graph = Portable was asked for)."),
            GraphPreference.Portable => GraphVariants.Portable,
            _ when fastRuns => fast,
            _ when portable => GraphVariants.Portable,
            _ when has(fast) => fast, // the only transformer graph: let ONNX Runtime say what it cannot run
            _ => throw new ModelPackageException(cuda
                ? $"Model package '{package}' has neither a '{GraphVariants.FastFp16}' nor a 'portable' graph, the graphs that run on CUDA."
                : $"Model package '{package}' has no graph that runs here (fast needs headSize % 16 == 0, it is {headSize}; no portable graph)."),
        };
    }

    /// <summary>The variants of a package that run on the provider (what <see cref="MusicModel.Variants"/> lists).</summary>
    public static bool Runs(string variant, bool cuda, int headSize) => variant switch
    {
        GraphVariants.Fast or GraphVariants.FastInt8 => !cuda && headSize % 16 == 0,
        GraphVariants.FastFp16 => cuda,
        _ => true,
    };
}
