using MusicGen.Core.Packaging;
using MusicGen.Onnx;

namespace MusicGen.Training.Export;

/// <summary>One comparison: graph, scenario, max |ORT - reference| over all compared logits, bound.</summary>
internal sealed record ParityCheck(string Graph, string Scenario, double MaxAbsDiff, double Tolerance, string? Warning = null)
{
    public bool Passed => MaxAbsDiff <= Tolerance && Warning is null;
}

/// <summary>
/// Compares every graph of a package with a reference model on random sequences: the full sequence, token-by-token
/// cached decode (512 steps when the context allows), and a ragged batch of 4 rows of different lengths (each row
/// compared with the reference run on that row alone). Sessions load with full optimizations and must log no warning.
/// </summary>
/// <param name="referenceLogits">Logits [n][V] of the reference (TorchSharp) model for one sequence at positions 0..n-1 from an empty state.</param>
internal sealed class PackageVerifier(string packageDirectory, ModelManifest manifest, Func<IReadOnlyList<int>, float[][]> referenceLogits, OrtSessions sessions)
{
    /// <summary>fp32 bound of the issue.</summary>
    public const double Fp32Tolerance = 1e-4;
    /// <summary>Bound for fp16 graphs (half precision weights, activations and cache).</summary>
    public const double Fp16Tolerance = 0.1;

    /// <summary>
    /// Bound for the int8-weight graph (block-wise int8 weights and activations against fp32 logits): a factor of at
    /// most e^0.5 on any one token's probability. A guard against broken quantization (a wrong layout gives errors of
    /// several units), not a quality measure; the bundled pop model measured 0.28 over 512 cached steps.
    /// </summary>
    public const double Int8Tolerance = 0.5;

    public const int CachedSteps = 512;
    private const int Prefix = 8;
    private const int RaggedDecodeSteps = 16;

    public IReadOnlyList<ParityCheck> Run(int seed, Action<ParityCheck>? progress = null)
    {
        var results = new List<ParityCheck>();
        int V = manifest.HyperParameters.VocabSize, ctx = manifest.ContextLength;
        var rng = new Random(seed);
        int fullLength = Math.Min(ctx, 256);
        int steps = Math.Min(CachedSteps, ctx - Prefix);
        var full = RandomTokens(rng, fullLength, V);
        var cached = RandomTokens(rng, Prefix + steps, V);
        int[] lengths = [Math.Min(ctx - RaggedDecodeSteps, 48), 17, 5, 1];
        var ragged = lengths.Select(n => RandomTokens(rng, n + RaggedDecodeSteps, V)).ToArray();

        var refFull = referenceLogits(full);
        var refCached = referenceLogits(cached);
        var refRagged = ragged.Select(r => referenceLogits(r)).ToArray();

        void Add(ParityCheck c) { results.Add(c); progress?.Invoke(c); }
        foreach (var g in manifest.Graphs)
        {
            using var session = sessions.Load(Path.Combine(packageDirectory, g.File), out var warnings);
            string? warning = warnings.Count > 0 ? string.Join("; ", warnings) : null;
            double tol = g.Precision switch { "fp16" => Fp16Tolerance, "int8" => Int8Tolerance, _ => Fp32Tolerance };
            string name = $"{g.Variant} ({g.File})";
            switch (g.Variant)
            {
                case GraphVariants.Portable:
                {
                    var run = new PortableGraphRunner(session, manifest.HyperParameters.Layers, manifest.HyperParameters.KvHeads, manifest.HyperParameters.HeadSize, manifest.HyperParameters.VocabSize);
                    Add(new(name, $"full sequence of {fullLength}", PortableFull(run, full, refFull, V), tol, warning));
                    Add(new(name, $"prefill {Prefix} + {steps} cached steps", PortableCached(run, cached, refCached, V), tol, warning));
                    Add(new(name, $"ragged batch of 4 ({string.Join("/", lengths)}, left-padded) + {RaggedDecodeSteps} steps", PortableRagged(run, ragged, lengths, refRagged), tol, warning));
                    break;
                }
                case GraphVariants.Fast or GraphVariants.FastFp16 or GraphVariants.FastInt8:
                {
                    Add(new(name, $"full sequence of {fullLength} (last position)", FastFull(session, g, full, refFull), tol, warning));
                    Add(new(name, $"prefill {Prefix} + {steps} cached steps", FastCached(session, g, cached, refCached), tol, warning));
                    Add(new(name, $"ragged batch of 4 ({string.Join("/", lengths)}) + {RaggedDecodeSteps} steps", FastRagged(session, g, ragged, lengths, refRagged, V), tol, warning));
                    break;
                }
                case GraphVariants.Lstm:
                {
                    var run = new LstmGraphRunner(session, manifest.HyperParameters.LstmLayers, manifest.HyperParameters.LstmUnits);
                    Add(new(name, $"full sequence of {fullLength}", LstmFull(run, full, refFull, V), tol, warning));
                    Add(new(name, $"prefill {Prefix} + {steps} stateful steps", LstmCached(run, cached, refCached, V), tol, warning));
                    Add(new(name, $"batch of 4 rows of lengths {string.Join("/", lengths.Select(n => n + RaggedDecodeSteps))}", LstmRagged(run, ragged, refRagged, V), tol, warning));
                    break;
                }
            }
        }
        return results;
    }

    private static int[] RandomTokens(Random rng, int n, int vocab) => Enumerable.Range(0, n).Select(_ => rng.Next(vocab)).ToArray();

    private static long[] Longs(IEnumerable<int> xs) => xs.Select(x => (long)x).ToArray();

    private static long[] Range(int start, int count) => Enumerable.Range(start, count).Select(x => (long)x).ToArray();

    private static long[] Ones(int n) => Enumerable.Repeat(1L, n).ToArray();

    internal static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => LogitComparison.MaxAbsDiff(a, b);

    private FastGraphRunner FastRunner(Microsoft.ML.OnnxRuntime.InferenceSession session, GraphEntry g, int batch) =>
        new(session, g.KvLayout ?? throw new InvalidOperationException($"{g.File} has no kvLayout"), manifest.HyperParameters.VocabSize, batch);

    private static double PortableFull(PortableGraphRunner run, int[] tokens, float[][] reference, int V)
    {
        int n = tokens.Length;
        var r = run.Run(1, Longs(tokens), Ones(n), Range(0, n), run.EmptyPast(), run.EmptyPast());
        double max = 0;
        for (int t = 0; t < n; t++) max = Math.Max(max, MaxAbsDiff(r.Logits.AsSpan(t * V, V), reference[t]));
        return max;
    }

    private static double PortableCached(PortableGraphRunner run, int[] tokens, float[][] reference, int V)
    {
        var r = run.Run(1, Longs(tokens[..Prefix]), Ones(Prefix), Range(0, Prefix), run.EmptyPast(), run.EmptyPast());
        double max = 0;
        for (int t = 0; t < Prefix; t++) max = Math.Max(max, MaxAbsDiff(r.Logits.AsSpan(t * V, V), reference[t]));
        for (int t = Prefix; t < tokens.Length; t++)
        {
            r = run.Run(1, [tokens[t]], Ones(t + 1), [t], r.PresentK, r.PresentV);
            max = Math.Max(max, MaxAbsDiff(r.Logits, reference[t]));
        }
        return max;
    }

    private static double PortableRagged(PortableGraphRunner run, int[][] seqs, int[] lengths, float[][][] refs)
    {
        double max = 0;
        run.RunRagged(seqs, lengths, RaggedDecodeSteps, leftPadding: true, (b, t, logits) => max = Math.Max(max, MaxAbsDiff(logits, refs[b][t])));
        return max;
    }

    private double FastFull(Microsoft.ML.OnnxRuntime.InferenceSession session, GraphEntry g, int[] tokens, float[][] reference)
    {
        using var run = FastRunner(session, g, 1);
        var logits = run.Step(Longs(tokens), [tokens.Length - 1], tokens.Length);
        return MaxAbsDiff(logits, reference[^1]);
    }

    private double FastCached(Microsoft.ML.OnnxRuntime.InferenceSession session, GraphEntry g, int[] tokens, float[][] reference)
    {
        using var run = FastRunner(session, g, 1);
        var logits = run.Step(Longs(tokens[..Prefix]), [Prefix - 1], Prefix);
        double max = MaxAbsDiff(logits, reference[Prefix - 1]);
        for (int t = Prefix; t < tokens.Length; t++)
        {
            logits = run.Step([tokens[t]], [t], t + 1);
            max = Math.Max(max, MaxAbsDiff(logits, reference[t]));
        }
        return max;
    }

    private double FastRagged(Microsoft.ML.OnnxRuntime.InferenceSession session, GraphEntry g, int[][] seqs, int[] lengths, float[][][] refs, int V)
    {
        int B = lengths.Length, S = lengths.Max();
        using var run = FastRunner(session, g, B);
        var ids = new long[B * S];
        for (int b = 0; b < B; b++)
            for (int j = 0; j < lengths[b]; j++) ids[b * S + j] = seqs[b][j];
        var logits = run.Step(ids, lengths.Select(n => n - 1).ToArray(), S);
        double max = 0;
        for (int b = 0; b < B; b++) max = Math.Max(max, MaxAbsDiff(logits.AsSpan(b * V, V), refs[b][lengths[b] - 1]));
        for (int step = 0; step < RaggedDecodeSteps; step++)
        {
            var stepIds = new long[B];
            var seqlens = new int[B];
            for (int b = 0; b < B; b++)
            {
                stepIds[b] = seqs[b][lengths[b] + step];
                seqlens[b] = lengths[b] + step;
            }
            logits = run.Step(stepIds, seqlens, seqlens.Max() + 1);
            for (int b = 0; b < B; b++) max = Math.Max(max, MaxAbsDiff(logits.AsSpan(b * V, V), refs[b][lengths[b] + step]));
        }
        return max;
    }

    private static double LstmFull(LstmGraphRunner run, int[] tokens, float[][] reference, int V)
    {
        var r = run.Run(1, Longs(tokens), run.ZeroState(1), run.ZeroState(1));
        double max = 0;
        for (int t = 0; t < tokens.Length; t++) max = Math.Max(max, MaxAbsDiff(r.Logits.AsSpan(t * V, V), reference[t]));
        return max;
    }

    private static double LstmCached(LstmGraphRunner run, int[] tokens, float[][] reference, int V)
    {
        var r = run.Run(1, Longs(tokens[..Prefix]), run.ZeroState(1), run.ZeroState(1));
        double max = 0;
        for (int t = 0; t < Prefix; t++) max = Math.Max(max, MaxAbsDiff(r.Logits.AsSpan(t * V, V), reference[t]));
        for (int t = Prefix; t < tokens.Length; t++)
        {
            r = run.Run(1, [tokens[t]], r.H, r.C);
            max = Math.Max(max, MaxAbsDiff(r.Logits, reference[t]));
        }
        return max;
    }

    /// <summary>Four rows of different lengths stepped together; a finished row keeps its state.</summary>
    private double LstmRagged(LstmGraphRunner run, int[][] seqs, float[][][] refs, int V)
    {
        int B = seqs.Length, U = manifest.HyperParameters.LstmUnits, L = manifest.HyperParameters.LstmLayers;
        var h = run.ZeroState(B);
        var c = run.ZeroState(B);
        double max = 0;
        for (int t = 0; t < seqs.Max(s => s.Length); t++)
        {
            var ids = new long[B];
            for (int b = 0; b < B; b++) ids[b] = seqs[b][Math.Min(t, seqs[b].Length - 1)];
            var r = run.Run(B, ids, h, c);
            for (int b = 0; b < B; b++)
            {
                if (t >= seqs[b].Length) continue;
                max = Math.Max(max, MaxAbsDiff(r.Logits.AsSpan(b * V, V), refs[b][t]));
                for (int l = 0; l < L; l++)
                {
                    Array.Copy(r.H, (l * B + b) * U, h, (l * B + b) * U, U);
                    Array.Copy(r.C, (l * B + b) * U, c, (l * B + b) * U, U);
                }
            }
        }
        return max;
    }
}
