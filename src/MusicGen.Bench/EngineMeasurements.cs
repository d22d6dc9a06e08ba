using System.Diagnostics;
using System.Numerics.Tensors;
using MusicGen.Inference;
using MusicGen.Inference.Sampling;

namespace MusicGen.Bench;

/// <summary>The engine measurements <see cref="EngineBenchmark"/> combines; each decodes on a loaded model.</summary>
internal static class EngineMeasurements
{
    internal static GenerationRequest Endless(long seed, int tokens) => new()
    {
        MaxTokens = tokens,
        Seed = seed,
        Sampling = new SamplingOptions { Temperature = 1.0f, TopK = 40, TopP = 0.95f },
    };

    /// <summary>
    /// Decodes up to <paramref name="tokens"/> steps of <paramref name="batchSize"/> sequences (prefill excluded) and
    /// returns the step times. Rates use the median step (robust on a shared machine) and process CPU time.
    /// </summary>
    internal static StepTimes DecodeSteps(MusicModel model, string variant, int batchSize, int tokens, long seed)
    {
        using var batch = model.CreateBatch(batchSize, variant, tokens + 8);
        var eos = model.Tokenizer.Eos;
        for (int i = 0; i < batchSize; i++)
        {
            var r = Endless(seed + i, tokens);
            r.Sampling.TokenBias = new Dictionary<int, float> { [eos] = float.NegativeInfinity };
            batch.Add(model.CreateSequence(r));
        }
        batch.Step(); // warm: bindings for this size
        var times = new List<double>(tokens);
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        while (batch.Count == batchSize)
        {
            var t0 = Stopwatch.GetTimestamp();
            batch.Step();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds;
        return new StepTimes(batchSize, [.. times], cpu / Math.Max(1, times.Count));
    }

    internal static double Median(double[] values)
    {
        if (values.Length == 0) return double.NaN;
        var copy = (double[])values.Clone();
        Array.Sort(copy);
        return copy[copy.Length / 2];
    }

    internal static (double Cached, double Recompute) CachedVersusRecompute(MusicModel model, string variant, int context, int recomputeSteps, int vocab)
    {
        var prompt = RandomPrompt(model, context);
        // Cached: the prefix is in the KV cache; each step runs one token.
        double cached;
        using (var batch = model.CreateBatch(1, variant, context + 40))
        {
            var r = Endless(3, 32);
            r.PrefixTokenIds = prompt[1..];
            r.Sampling.UseGrammar = false; // a random prompt is not grammatical
            r.Sampling.TokenBias = new Dictionary<int, float> { [model.Tokenizer.Eos] = float.NegativeInfinity };
            batch.Add(model.CreateSequence(r));
            batch.Step();
            var times = new List<double>();
            while (batch.Count > 0)
            {
                var t0 = Stopwatch.GetTimestamp();
                batch.Step();
                times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            cached = Median([.. times]);
        }
        // Recompute: no cache; every step runs the whole prefix again (one prefill per token).
        var decoder = model.CreateDecoder(1, variant, context + recomputeSteps + 2);
        using (decoder)
        {
            var sequence = new List<int>(prompt);
            decoder.Prefill(sequence.ToArray());
            decoder.RemoveRow(0);
            var times = new double[recomputeSteps];
            for (int i = 0; i < recomputeSteps; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                var logits = decoder.Prefill(sequence.ToArray());
                sequence.Add(TensorPrimitives.IndexOfMax(logits[..vocab]));
                decoder.RemoveRow(0);
                times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            return (cached, Median(times));
        }
    }

    internal static double TimeToFirstToken(MusicModel model, string variant, int primer, int vocab)
    {
        var prompt = RandomPrompt(model, primer);
        var best = double.MaxValue;
        for (int i = 0; i < 3; i++)
        {
            using var batch = model.CreateBatch(1, variant, primer + 8);
            var r = Endless(5, 4);
            r.PrefixTokenIds = prompt[1..];
            r.Sampling.UseGrammar = false; // a random prompt is not grammatical
            var s = model.CreateSequence(r);
            var start = Stopwatch.GetTimestamp();
            batch.Add(s);
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return best;
    }

    internal static double AllocationsPerStep(MusicModel model, string variant)
    {
        using var batch = model.CreateBatch(8, variant, 256);
        for (int i = 0; i < 8; i++)
        {
            var r = Endless(i, 200);
            r.Sampling.RepetitionPenalty = 1.1f;
            r.Sampling.TokenBias = new Dictionary<int, float> { [model.Tokenizer.Eos] = float.NegativeInfinity };
            batch.Add(model.CreateSequence(r));
        }
        for (int i = 0; i < 10; i++) batch.Step();
        const int Steps = 100;
        return SteadyAllocation.LeastPerWindow(() => batch.Step(), Steps, () => batch.Count == 8) / (double)Steps;
    }

    internal static double SamplingStep(MusicModel model)
    {
        int vocab = model.Package.VocabularySize;
        var sampler = new TokenSampler(new SamplingOptions { TopK = 40, TopP = 0.95f, RepetitionPenalty = 1.1f }, vocab, 1, model.Tokenizer.Eos);
        var grammar = model.Tokenizer.CreateGrammar();
        grammar.Reset();
        grammar.Accept(model.Tokenizer.Bos);
        var rng = new Random(1);
        var logits = new float[vocab];
        for (int i = 0; i < vocab; i++) logits[i] = (float)(rng.NextDouble() * 8 - 4);
        var history = new int[256];
        for (int i = 0; i < history.Length; i++) history[i] = rng.Next(vocab);
        var times = new double[2000];
        for (int i = 0; i < times.Length; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            sampler.Next(logits, history, grammar);
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }
        Array.Sort(times);
        return times[times.Length / 2];
    }

    internal static int[] RandomPrompt(MusicModel model, int length)
    {
        var rng = new Random(17);
        var prompt = new int[length];
        prompt[0] = model.Tokenizer.Bos;
        for (int i = 1; i < length; i++) prompt[i] = 3 + rng.Next(model.Package.VocabularySize - 3);
        return prompt;
    }


    internal static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Round(p * (sorted.Length - 1)))];
}
