using MusicGen.Inference;

namespace MusicGen.Bench;

/// <summary>How closely a model on one provider follows the same model on the CPU (fp16 on CUDA differs from fp32).</summary>
/// <param name="Graph">Graph and provider measured (e.g. <c>fast-fp16 on cuda</c>).</param>
/// <param name="Reference">The CPU's graph.</param>
/// <param name="Tokens">Greedy tokens compared.</param>
/// <param name="SameGreedyTokens">Share of positions where the two free-running greedy sequences have the same token.</param>
/// <param name="SameArgMax">Share of positions where both pick the same greedy token after the same prefix (teacher forcing).</param>
/// <param name="MaxAbsLogitDifference">Largest |Δlogit| over every position of that one sequence.</param>
public sealed record DeviceAgreementReport(string Graph, string Reference, int Tokens, double SameGreedyTokens, double SameArgMax, double MaxAbsLogitDifference);

/// <summary>Compares greedy decoding on the configured provider with the CPU's, on one sequence from BOS.</summary>
public static class DeviceAgreement
{
    /// <summary>Loads the package twice (as configured, and on the CPU) and compares <paramref name="tokens"/> greedy tokens.</summary>
    public static DeviceAgreementReport Measure(string packageDirectory, InferenceOptions options, int tokens, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cpuOptions = options.Clone();
        cpuOptions.ExecutionProvider = "cpu";
        cpuOptions.RequireGpu = false;
        using var device = MusicModel.Load(packageDirectory, options, logger);
        using var cpu = MusicModel.Load(packageDirectory, cpuOptions, logger);
        int n = Math.Max(1, Math.Min(tokens, Math.Min(device.MaxSequenceLength, cpu.MaxSequenceLength) - 2));
        int bos = device.Tokenizer.Bos;
        var onDevice = Greedy(device, bos, n);
        var onCpu = Greedy(cpu, bos, n);
        int same = 0;
        for (int i = 0; i < n; i++) if (onDevice[i] == onCpu[i]) same++;

        // Teacher forcing: the device's sequence through both, position by position.
        using var a = device.CreateDecoder(1, device.DefaultVariant);
        using var b = cpu.CreateDecoder(1, cpu.DefaultVariant);
        var la = a.Prefill([bos]);
        var lb = b.Prefill([bos]);
        double maxDiff = 0;
        int sameArgMax = 0;
        var next = new int[1];
        for (int i = 0; i < n; i++)
        {
            for (int v = 0; v < la.Length; v++) maxDiff = Math.Max(maxDiff, Math.Abs(la[v] - lb[v]));
            if (ArgMax(la) == ArgMax(lb)) sameArgMax++;
            next[0] = onDevice[i];
            la = a.Decode(next);
            lb = b.Decode(next);
        }
        return new DeviceAgreementReport($"{device.DefaultVariant} on {device.ExecutionProvider}", $"{cpu.DefaultVariant} on {cpu.ExecutionProvider}",
            n, (double)same / n, (double)sameArgMax / n, maxDiff);
    }

    private static int[] Greedy(MusicModel model, int bos, int n)
    {
        using var decoder = model.CreateDecoder(1, model.DefaultVariant);
        var sequence = new int[n];
        var logits = decoder.Prefill([bos]);
        var next = new int[1];
        for (int i = 0; i < n; i++)
        {
            sequence[i] = next[0] = ArgMax(logits);
            if (i + 1 < n) logits = decoder.Decode(next);
        }
        return sequence;
    }

    private static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
