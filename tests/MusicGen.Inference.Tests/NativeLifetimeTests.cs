using MusicGen.Core.Packaging;

namespace MusicGen.Inference.Tests;

/// <summary>
/// ONNX Runtime objects (run options, values, bindings, pinned buffers) must stay alive while native code uses them.
/// These tests run the scorer and the decoders while another thread forces full collections and runs the
/// finalizers back to back: an object that nothing keeps alive during a native run is then freed mid-run, which
/// crashes the process or changes the logits (a <c>new RunOptions()</c> passed inline to <c>Run</c> did, 5 of 5).
/// </summary>
public sealed class NativeLifetimeTests
{
    private const int Rounds = 600;

    [Theory]
    [InlineData("transformer", GraphPreference.Auto)]
    [InlineData("transformer", GraphPreference.Fast)]
    [InlineData("lstm", GraphPreference.Auto)]
    public void Scoring_under_collection_pressure_gives_the_same_logits_every_time(string kind, GraphPreference graph)
    {
        string dir = kind == "lstm" ? TestPackages.Lstm() : TestPackages.Transformer();
        using var scorer = SequenceScorer.Open(dir, intraOpThreads: 1, graph);
        var rng = new Random(3);
        var tokens = Enumerable.Range(0, graph == GraphPreference.Fast ? 8 : 48).Select(_ => rng.Next(scorer.Package.VocabularySize)).ToArray();
        var expected = new float[tokens.Length * scorer.VocabularySize];
        scorer.Run(tokens, expected);

        var actual = new float[expected.Length];
        using (new CollectionPressure())
        {
            for (int i = 0; i < Rounds; i++)
            {
                Array.Clear(actual);
                scorer.Run(tokens, actual);
                Assert.True(expected.AsSpan().SequenceEqual(actual), $"round {i}: the logits changed under collection pressure");
            }
        }
    }

    [Theory]
    [InlineData("transformer", GraphVariants.Portable)]
    [InlineData("transformer", GraphVariants.Fast)]
    [InlineData("lstm", GraphVariants.Lstm)]
    public void Decoding_under_collection_pressure_gives_the_same_logits_every_time(string kind, string variant)
    {
        string dir = kind == "lstm" ? TestPackages.Lstm() : TestPackages.Transformer();
        using var model = MusicModel.Load(dir, new InferenceOptions { IntraOpThreads = 1, ParallelDecodeThreads = 1 });
        int v = model.Package.VocabularySize;
        var rng = new Random(4);
        var tokens = Enumerable.Range(0, 12).Select(_ => rng.Next(v)).ToArray();
        var expected = Decode(model, variant, tokens);

        using var pressure = new CollectionPressure(); // on until the end of the method
        for (int i = 0; i < Rounds / 3; i++)
        {
            var actual = Decode(model, variant, tokens);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"round {i}: the logits changed under collection pressure");
        }
    }

    /// <summary>A fresh two-row decoder: both rows prefilled with 4 tokens, then one token per step; every logit kept.</summary>
    private static float[] Decode(MusicModel model, string variant, int[] tokens)
    {
        using var decoder = model.CreateDecoder(2, variant);
        var all = new List<float>();
        all.AddRange(decoder.Prefill(tokens.AsSpan(0, 4)).ToArray());
        all.AddRange(decoder.Prefill(tokens.AsSpan(1, 4)).ToArray());
        for (int t = 4; t < tokens.Length; t++)
            all.AddRange(decoder.Decode([tokens[t], tokens[t - 1]]).ToArray());
        return [.. all];
    }

    /// <summary>A background thread that allocates and forces a full blocking collection plus the finalizers, back to back.</summary>
    private sealed class CollectionPressure : IDisposable
    {
        private readonly Thread _thread;
        private readonly ManualResetEventSlim _first = new();
        private volatile bool _stop;

        /// <summary>Starts the thread and returns once its first collection is done (the pressure is on).</summary>
        public CollectionPressure()
        {
            _thread = new Thread(Loop) { IsBackground = true, Name = "collection-pressure" };
            _thread.Start();
            _first.Wait();
        }

        private void Loop()
        {
            var keep = new byte[16][];
            for (int i = 0; !_stop; i++)
            {
                keep[i & 15] = new byte[4096 + (i & 15) * 4096];
                GC.Collect(2, GCCollectionMode.Forced, blocking: true);
                GC.WaitForPendingFinalizers();
                _first.Set();
            }
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
            _first.Dispose();
        }
    }
}
