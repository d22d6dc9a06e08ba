using System.Diagnostics;
using System.Runtime.Intrinsics;

namespace MusicGen.Bench;

/// <summary>The machine's own bounds: copy bandwidth in memory and in cache, and the FMA rate of one core.</summary>
internal static class MachineBounds
{
    /// <summary>Single-thread copy bandwidth over 128 MiB buffers (read + write bytes per second), best of 5: main memory.</summary>
    internal static double MemoryBandwidth() => CopyBandwidth(128 << 20, 5);

    /// <summary>
    /// Single-thread copy bandwidth between two 4 MiB buffers (read + write bytes per second), best of 40: data that
    /// fits the last-level cache of a server CPU but not a core's L2, as a small model's weights do at batch 1.
    /// </summary>
    internal static double CacheBandwidth() => CopyBandwidth(4 << 20, 40);

    private static double CopyBandwidth(int bytes, int repeats)
    {
        var a = GC.AllocateUninitializedArray<byte>(bytes);
        var b = GC.AllocateUninitializedArray<byte>(bytes);
        a.AsSpan().Fill(1);
        b.AsSpan().Fill(2);
        double best = 0;
        for (int i = 0; i < repeats; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            a.AsSpan().CopyTo(b);
            var s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            best = Math.Max(best, 2.0 * bytes / s / 1e9);
        }
        return best;
    }

    /// <summary>
    /// Single-core fused multiply-add peak (GFLOP/s): 8 independent accumulators in registers, 512-bit where the CPU
    /// runs 512-bit vectors natively (as ONNX Runtime's MLAS kernels then do), else 256-bit; no memory traffic, best
    /// of 5. What a perfect one-thread matmul could reach.
    /// </summary>
    internal static double FmaRate()
    {
        const int Iterations = 4_000_000;
        double best = 0;
        for (int r = 0; r < 5; r++)
        {
            var t0 = Stopwatch.GetTimestamp();
            var sink = Vector512.IsHardwareAccelerated ? FmaKernel512(Iterations) : FmaKernel(Iterations);
            var s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            if (float.IsNaN(sink)) return double.NaN;
            int lanes = Vector512.IsHardwareAccelerated ? Vector512<float>.Count : Vector256<float>.Count;
            best = Math.Max(best, 8.0 * 2 * lanes * Iterations / s / 1e9);
        }
        return best;
    }

    private static float FmaKernel(int iterations)
    {
        var m = Vector256.Create(0.999999f);
        var a = Vector256.Create(1e-7f);
        Vector256<float> c0 = Vector256.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int i = 0; i < iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, m, a);
            c1 = Vector256.FusedMultiplyAdd(c1, m, a);
            c2 = Vector256.FusedMultiplyAdd(c2, m, a);
            c3 = Vector256.FusedMultiplyAdd(c3, m, a);
            c4 = Vector256.FusedMultiplyAdd(c4, m, a);
            c5 = Vector256.FusedMultiplyAdd(c5, m, a);
            c6 = Vector256.FusedMultiplyAdd(c6, m, a);
            c7 = Vector256.FusedMultiplyAdd(c7, m, a);
        }
        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7);
    }

    private static float FmaKernel512(int iterations)
    {
        var m = Vector512.Create(0.999999f);
        var a = Vector512.Create(1e-7f);
        Vector512<float> c0 = Vector512.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, m, a);
            c1 = Vector512.FusedMultiplyAdd(c1, m, a);
            c2 = Vector512.FusedMultiplyAdd(c2, m, a);
            c3 = Vector512.FusedMultiplyAdd(c3, m, a);
            c4 = Vector512.FusedMultiplyAdd(c4, m, a);
            c5 = Vector512.FusedMultiplyAdd(c5, m, a);
            c6 = Vector512.FusedMultiplyAdd(c6, m, a);
            c7 = Vector512.FusedMultiplyAdd(c7, m, a);
        }
        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7);
    }
}
