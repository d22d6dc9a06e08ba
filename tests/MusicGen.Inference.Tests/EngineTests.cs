using MusicGen.Core.Midi;

namespace MusicGen.Inference.Tests;

public sealed class EngineTests
{
    private static MusicModel Load(string? variant = null, int maxBatch = 32)
    {
        var options = new InferenceOptions
        {
            Graph = variant switch { "portable" => GraphPreference.Portable, "fast" => GraphPreference.Fast, "fast-int8" => GraphPreference.FastInt8, _ => GraphPreference.Auto },
            MaxBatchSize = maxBatch,
        };
        return MusicModel.Load(TestPackages.Transformer(), options);
    }

    private static GenerationRequest Request(long seed, int tokens = 64) => new()
    {
        MaxTokens = tokens,
        Seed = seed,
        Sampling = new SamplingOptions { Temperature = 1.0f, TopK = 20, TopP = 0.95f },
    };

    private static byte[] GenerateAlone(MusicModel model, GenerationRequest request, string? variant = null)
    {
        using var batch = model.CreateBatch(1, variant);
        var seq = model.CreateSequence(request);
        if (batch.Add(seq))
            while (batch.Count > 0) batch.Step();
        return seq.ToResult().Midi;
    }

    [Fact]
    public void Int8_graph_is_chosen_by_configuration_and_generates_like_the_fp32_graph_up_to_rounding()
    {
        using var int8 = Load("fast-int8");
        Assert.Equal("fast-int8", int8.DefaultVariant);
        Assert.Contains("fast-int8", int8.Variants);
        using var fp32 = Load("fast");
        Assert.Equal("fast", fp32.DefaultVariant);
        // Greedy decoding of the same prompt: both graphs agree on most tokens (random tiny weights have near ties).
        var request = new GenerationRequest { MaxTokens = 48, Seed = 1, Sampling = new SamplingOptions { Greedy = true, UseGrammar = false } };
        var a = GenerateTokens(int8, request);
        var b = GenerateTokens(fp32, request);
        Assert.Equal(a.Length, b.Length);
        Assert.True(a.Zip(b).Count(p => p.First == p.Second) >= a.Length / 2, $"int8 and fp32 greedy tokens agree on {a.Zip(b).Count(p => p.First == p.Second)} of {a.Length}");
        Assert.Equal(a, GenerateTokens(int8, request));
    }

    private static int[] GenerateTokens(MusicModel model, GenerationRequest request)
    {
        using var batch = model.CreateBatch(1);
        var seq = model.CreateSequence(request);
        batch.Add(seq);
        while (batch.Count > 0) batch.Step();
        return seq.Tokens.ToArray();
    }

    [Fact]
    public void Same_seed_gives_identical_midi_twice()
    {
        using var model = Load();
        Assert.Equal("fast", model.DefaultVariant);
        var a = GenerateAlone(model, Request(42));
        var b = GenerateAlone(model, Request(42));
        var c = GenerateAlone(model, Request(43));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        MidiScore.Read(a); // our own reader accepts it
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("portable")]
    [InlineData("fast-int8")]
    public void Same_seed_gives_identical_tokens_inside_a_batch_of_32(string variant)
    {
        using var model = Load(variant);
        var request = Request(1234, 80);
        using var alone = model.CreateBatch(1, variant);
        var single = model.CreateSequence(request);
        alone.Add(single);
        while (alone.Count > 0) alone.Step();

        // The same request in slot 17 of 32, with batch mates of other seeds, primer lengths and lengths that join
        // and leave at different steps.
        using var batch = model.CreateBatch(32, variant);
        var rng = new Random(5);
        GenerationSequence? target = null;
        var pending = new Queue<GenerationSequence>();
        for (int i = 0; i < 40; i++)
        {
            if (i == 17) pending.Enqueue(target = model.CreateSequence(request));
            else pending.Enqueue(model.CreateSequence(new GenerationRequest
            {
                MaxTokens = rng.Next(5, 120),
                Seed = 1000 + i,
                PrefixTokenIds = [.. Enumerable.Range(0, rng.Next(0, 30)).Select(_ => rng.Next(4, model.Package.VocabularySize))],
                Sampling = new SamplingOptions { Temperature = 0.9f, UseGrammar = false }, // random prefixes need not be legal
            }));
        }
        while (pending.Count > 0 || batch.Count > 0)
        {
            while (batch.Count < batch.Capacity && pending.Count > 0) batch.Add(pending.Dequeue());
            batch.Step();
        }
        Assert.True(target!.IsFinished);
        Assert.Equal(single.Tokens.ToArray(), target.Tokens.ToArray());
        Assert.Equal(single.ToResult().Midi, target.ToResult().Midi);
    }

    [Fact]
    public void Same_seed_identical_across_the_switch_to_parallel_slices()
    {
        // Explicit counts, so the switch happens on a one-core machine too: steps of >= 4 rows are cut into 3 slices
        // that run at once (uneven slices when rows are not a multiple of 3), smaller ones (and every prefill) run whole.
        var options = new InferenceOptions { Graph = GraphPreference.Fast, IntraOpThreads = 1, ParallelDecodeThreads = 3, ParallelDecodeMinRows = 4 };
        using var model = MusicModel.Load(TestPackages.Transformer(), options);
        Assert.Equal(1, model.DecodeThreads(3));
        Assert.Equal(3, model.DecodeThreads(4));
        Assert.Equal(1, model.DecodeThreads(32, "portable"));
        var request = Request(4321, 90);
        var alone = GenerateAlone(model, request);

        // In a batch of 32 whose mates join and leave, the row count crosses 4 both ways during the target's life.
        using var batch = model.CreateBatch(32);
        var rng = new Random(11);
        GenerationSequence? target = null;
        var pending = new Queue<GenerationSequence>();
        for (int i = 0; i < 40; i++)
        {
            if (i == 2) pending.Enqueue(target = model.CreateSequence(request));
            else pending.Enqueue(model.CreateSequence(new GenerationRequest
            {
                MaxTokens = rng.Next(5, 60),
                Seed = 2000 + i,
                PrefixTokenIds = [.. Enumerable.Range(0, rng.Next(0, 30)).Select(_ => rng.Next(4, model.Package.VocabularySize))],
                Sampling = new SamplingOptions { Temperature = 0.9f, UseGrammar = false },
            }));
        }
        int smallSteps = 0;
        while (pending.Count > 0 || batch.Count > 0)
        {
            while (batch.Count < batch.Capacity && pending.Count > 0) batch.Add(pending.Dequeue());
            if (batch.Count is > 0 and < 4 && target!.Row >= 0) smallSteps++;
            batch.Step();
        }
        var decoder = Assert.IsType<Runtime.FastTransformerDecoder>(batch.Decoder);
        Assert.Equal(3, decoder.Slices);
        Assert.True(decoder.ParallelSteps > 0, "no step ran as parallel slices");
        Assert.True(smallSteps > 0, "the target never ran in a whole (unsplit) step inside the batch");
        Assert.True(target!.IsFinished);
        Assert.Equal(alone, target.ToResult().Midi);

        // A batch smaller than the threshold holds no worker thread and never splits.
        using var small = model.CreateBatch(3);
        small.Add(model.CreateSequence(Request(5, 10)));
        while (small.Count > 0) small.Step();
        var smallDecoder = Assert.IsType<Runtime.FastTransformerDecoder>(small.Decoder);
        Assert.Equal(1, smallDecoder.Slices);
        Assert.Equal(0, smallDecoder.ParallelSteps);
    }

    [Fact]
    public void Lstm_same_seed_identical_alone_and_in_a_batch_and_allocation_free()
    {
        using var model = MusicModel.Load(TestPackages.Lstm());
        Assert.Equal("lstm", model.DefaultVariant);
        var request = Request(77, 90);
        var alone = GenerateAlone(model, request);
        Assert.Equal(alone, GenerateAlone(model, request));

        using var batch = model.CreateBatch(32);
        var rng = new Random(9);
        GenerationSequence? target = null;
        var pending = new Queue<GenerationSequence>();
        for (int i = 0; i < 40; i++)
        {
            if (i == 13) pending.Enqueue(target = model.CreateSequence(request));
            else pending.Enqueue(model.CreateSequence(new GenerationRequest
            {
                MaxTokens = rng.Next(5, 120), Seed = i,
                PrefixTokenIds = [.. Enumerable.Range(0, rng.Next(0, 30)).Select(_ => rng.Next(4, model.Package.VocabularySize))],
                Sampling = new SamplingOptions { UseGrammar = false },
            }));
        }
        while (pending.Count > 0 || batch.Count > 0)
        {
            while (batch.Count < batch.Capacity && pending.Count > 0) batch.Add(pending.Dequeue());
            batch.Step();
        }
        Assert.Equal(alone, target!.ToResult().Midi);

        using var steady = model.CreateBatch(4);
        for (int i = 0; i < 4; i++)
            steady.Add(model.CreateSequence(new GenerationRequest { MaxTokens = 300, Seed = i, Sampling = new SamplingOptions { TopK = 8, TokenBias = new Dictionary<int, float> { [2] = float.NegativeInfinity } } }));
        for (int i = 0; i < 10; i++) steady.Step();
        Assert.Equal(0, MusicGen.Bench.SteadyAllocation.LeastPerWindow(() => steady.Step(), 50)); // a per-step allocation shows in every window
        Assert.Equal(4, steady.Count);
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("portable")]
    public void A_full_slot_slides_its_window_and_keeps_generating_deterministically(string variant)
    {
        using var model = Load(variant);
        var request = new GenerationRequest
        {
            MaxTokens = 200, Seed = 31,
            Sampling = new SamplingOptions { TokenBias = new Dictionary<int, float> { [model.Tokenizer.Eos] = float.NegativeInfinity } },
        };
        int[] Alone()
        {
            using var b = model.CreateBatch(1, variant, maxLength: 48);
            var s = model.CreateSequence(request);
            if (b.Add(s)) while (b.Count > 0) b.Step();
            Assert.Equal(StopReason.MaxTokens, s.StopReason);
            Assert.True(s.Slides >= 4, $"slid {s.Slides} times");
            return s.Tokens.ToArray();
        }
        var alone = Alone();
        Assert.Equal(1 + 200, alone.Length);
        Assert.Equal(alone, Alone());

        using var batch = model.CreateBatch(6, variant, maxLength: 48);
        var target = model.CreateSequence(request);
        var mates = Enumerable.Range(0, 9).Select(i => model.CreateSequence(new GenerationRequest { MaxTokens = 20 + 17 * i, Seed = 900 + i })).ToList();
        var pending = new Queue<GenerationSequence>(mates.Take(3).Append(target).Concat(mates.Skip(3)));
        while (pending.Count > 0 || batch.Count > 0)
        {
            while (batch.Count < batch.Capacity && pending.Count > 0) batch.Add(pending.Dequeue());
            batch.Step();
        }
        Assert.Equal(alone, target.Tokens.ToArray());

        using var fixedWindow = model.CreateBatch(1, variant, maxLength: 48);
        var stopped = model.CreateSequence(new GenerationRequest { MaxTokens = 200, Seed = 31, SlideWindow = false, Sampling = request.Sampling });
        if (fixedWindow.Add(stopped)) while (fixedWindow.Count > 0) fixedWindow.Step();
        Assert.Equal(StopReason.ContextFull, stopped.StopReason);
        Assert.Equal(alone[..stopped.Length], stopped.Tokens.ToArray());
    }
}
