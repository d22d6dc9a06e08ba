using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using MusicGen.Core.Packaging;
using MusicGen.Inference.Runtime;

namespace MusicGen.Inference.Tests;

public sealed class ValidationTests
{
    [Fact]
    public void Missing_folder_and_manifest_are_named()
    {
        var nowhere = Path.Combine(Path.GetTempPath(), "musicgen-no-such-package-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<ModelPackageException>(() => MusicModel.Load(nowhere));
        Assert.Contains(nowhere, e.Message);
        Directory.CreateDirectory(nowhere);
        e = Assert.Throws<ModelPackageException>(() => MusicModel.Load(nowhere));
        Assert.Contains("musicgen.json", e.Message);
    }

    [Fact]
    public void Missing_graph_file_is_named()
    {
        var dir = TestPackages.CopyOf(TestPackages.Transformer());
        File.Delete(Path.Combine(dir, "model.fast.onnx"));
        var e = Assert.Throws<ModelPackageException>(() => MusicModel.Load(dir));
        Assert.Contains("model.fast.onnx", e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void Sha256_mismatch_is_reported_with_both_hashes()
    {
        var dir = TestPackages.CopyOf(TestPackages.Transformer());
        var path = Path.Combine(dir, "model.onnx");
        var bytes = File.ReadAllBytes(path);
        bytes[^10] ^= 0x55;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<ModelPackageException>(() => MusicModel.Load(dir));
        Assert.Contains("sha256 mismatch", e.Message);
        Assert.Contains("model.onnx", e.Message);
    }

    [Fact]
    public void Unknown_architecture_is_rejected()
    {
        var dir = EditManifest(m => m["architecture"] = "mamba");
        var e = Assert.Throws<ModelPackageException>(() => MusicModel.Load(dir));
        Assert.Contains("architecture 'mamba'", e.Message);
    }

    [Fact]
    public void Tokenizer_and_vocabulary_mismatch_is_rejected()
    {
        var dir = EditManifest(m => m["hyperParameters"]!["vocabSize"] = m["hyperParameters"]!["vocabSize"]!.GetValue<int>() + 1);
        var e = Assert.Throws<ModelPackageException>(() => MusicModel.Load(dir));
        Assert.Contains("tokenizer/vocabulary mismatch", e.Message);
    }

    [Fact]
    public void Broken_onnx_file_with_matching_hash_fails_at_load_not_at_first_request()
    {
        var dir = TestPackages.CopyOf(TestPackages.Transformer());
        var path = Path.Combine(dir, "model.fast.onnx");
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..1000]); // truncated
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "musicgen.json")))!;
        foreach (var g in manifest["graphs"]!.AsArray())
            if ((string?)g!["file"] == "model.fast.onnx") g["sha256"] = ModelManifest.ComputeSha256(path);
        File.WriteAllText(Path.Combine(dir, "musicgen.json"), manifest.ToJsonString());
        var e = Assert.Throws<ModelPackageException>(() => MusicModel.Load(dir));
        Assert.Contains("cannot load", e.Message);
    }

    [Fact]
    public void Bad_options_list_every_problem()
    {
        var options = new InferenceOptions { ExecutionProvider = "tpu", IntraOpThreads = -1, GraphOptimization = "max", MaxBatchSize = 0 };
        var e = Assert.Throws<OptionsValidationException>(() => MusicModel.Load(TestPackages.Transformer(), options));
        Assert.Contains("tpu", e.Message);
        Assert.Equal(4, e.Failures.Count());
    }

    [Fact]
    public void Bad_parallel_decode_options_are_rejected()
    {
        var options = new InferenceOptions { ParallelDecodeThreads = -1, ParallelDecodeMinRows = 1 };
        var e = Assert.Throws<OptionsValidationException>(() => MusicModel.Load(TestPackages.Transformer(), options));
        Assert.Equal(2, e.Failures.Count());
        Assert.Contains(e.Failures, f => f.Contains("ParallelDecodeThreads must be in 0..256"));
        Assert.Contains(e.Failures, f => f.Contains("ParallelDecodeMinRows must be in 2..4096"));
        Assert.Empty(new InferenceOptions { ParallelDecodeThreads = 4, ParallelDecodeMinRows = 2 }.Validate());
        Assert.Single(new InferenceOptions { ParallelDecodeMinRows = 5000 }.Validate());
    }

    [Fact]
    public void Steps_are_split_only_on_the_fast_graph_with_one_intra_op_thread_and_enough_rows()
    {
        using var model = MusicModel.Load(TestPackages.Transformer(), new InferenceOptions { ParallelDecodeThreads = 2, ParallelDecodeMinRows = 8 });
        Assert.Equal(1, model.DecodeThreads(7));
        Assert.Equal(2, model.DecodeThreads(8));
        Assert.Equal(1, model.DecodeThreads(32, "portable"));
        Assert.Equal(1, model.ParallelSlices("fast", 4));   // a batch too small to ever split holds no worker thread
        using var off = MusicModel.Load(TestPackages.Transformer(), new InferenceOptions { ParallelDecodeThreads = 1 });
        Assert.Equal(1, off.DecodeThreads(32));
        using var intra = MusicModel.Load(TestPackages.Transformer(), new InferenceOptions { IntraOpThreads = 2, ParallelDecodeThreads = 2 });
        Assert.Equal(2, intra.DecodeThreads(32));            // ONNX Runtime's own threads instead of slices
        Assert.Equal(1, intra.ParallelSlices("fast", 32));
    }

    [Fact]
    public void The_native_library_is_the_flavor_the_build_selected()
    {
        // -p:OnnxRuntimeFlavor=Gpu must really load the GPU package's libonnxruntime.so (both packages together once
        // copied the CPU one silently); the CPU flavor has no CUDA provider. Both carry the CPU provider.
        var providers = SessionFactory.AvailableProviders();
        Assert.Contains("CPUExecutionProvider", providers);
        Assert.Equal(OnnxRuntimeBuild.IsGpuFlavor, providers.Contains("CUDAExecutionProvider"));
        Assert.Equal("1.32.0", OnnxRuntimeBuild.Version);
    }

    [Fact]
    public void Cuda_that_cannot_run_falls_back_to_cpu_with_one_line_or_fails_when_required()
    {
        var logger = new ListLogger();
        using (var model = MusicModel.Load(TestPackages.Transformer(), new InferenceOptions { ExecutionProvider = "cuda" }, logger))
        {
            if (model.ExecutionProvider == "cuda")
            {
                // a GPU build on a machine with a working CUDA setup: nothing to fall back from
                Assert.True(OnnxRuntimeBuild.IsGpuFlavor);
                Assert.Empty(logger.Warnings);
                return;
            }
            Assert.Equal("cpu", model.ExecutionProvider);
            Assert.Single(logger.Warnings);
            // CPU build: says how to get CUDA; GPU build without CUDA libraries: says what failed to load
            Assert.Contains(OnnxRuntimeBuild.IsGpuFlavor ? "the CUDA provider could not be set up" : "-p:OnnxRuntimeFlavor=Gpu", logger.Warnings[0]);
        }
        var e = Assert.Throws<InvalidOperationException>(() => MusicModel.Load(TestPackages.Transformer(), new InferenceOptions { ExecutionProvider = "cuda", RequireGpu = true }));
        Assert.Contains("RequireGpu", e.Message);
    }

    [Theory]
    [InlineData("temperature")]
    [InlineData("topp")]
    [InlineData("minp")]
    [InlineData("penalty")]
    [InlineData("ngram")]
    [InlineData("bias")]
    [InlineData("tokens")]
    [InlineData("prefix")]
    public void Bad_requests_name_the_field(string what)
    {
        using var model = MusicModel.Load(TestPackages.Transformer());
        var r = new GenerationRequest { MaxTokens = 10 };
        string field;
        switch (what)
        {
            case "temperature": r.Sampling.Temperature = -1; field = "temperature"; break;
            case "topp": r.Sampling.TopP = 1.5f; field = "topP"; break;
            case "minp": r.Sampling.MinP = -0.1f; field = "minP"; break;
            case "penalty": r.Sampling.RepetitionPenalty = 0.5f; field = "repetitionPenalty"; break;
            case "ngram": r.Sampling.NoRepeatNgramSize = 1; field = "noRepeatNgram"; break;
            case "bias": r.Sampling.TokenBias = new Dictionary<int, float> { [100_000] = 1 }; field = "tokenBias"; break;
            case "tokens": r.MaxTokens = -5; field = "tokens"; break;
            default: r.PrefixTokens = ["NoSuchToken_9"]; field = "NoSuchToken_9"; break;
        }
        var e = Assert.ThrowsAny<ArgumentException>(() => model.CreateSequence(r));
        Assert.Contains(field, e.Message);
        if (what != "prefix") Assert.Equal(field, e.ParamName); // keyed by the option's name
    }

    [Fact]
    public void A_malformed_primer_reports_the_reader_message()
    {
        using var model = MusicModel.Load(TestPackages.Transformer());
        var e = Assert.Throws<MusicGen.Inference.Errors.PrimerException>(() => model.CreateSequence(new GenerationRequest { PrimerMidi = "MThd\0\0\0\u0006garbage"u8.ToArray() }));
        Assert.Contains("primer", e.Message);
        Assert.NotNull(e.Offset);
    }

    [Fact]
    public void An_empty_primer_is_refused_not_ignored()
    {
        using var model = MusicModel.Load(TestPackages.Transformer());
        var e = Assert.Throws<MusicGen.Inference.Errors.PrimerException>(() => model.CreateSequence(new GenerationRequest { PrimerMidi = [] }));
        Assert.Contains("empty", e.Message);
    }

    private static string EditManifest(Action<JsonNode> edit)
    {
        var dir = TestPackages.CopyOf(TestPackages.Transformer());
        var path = Path.Combine(dir, "musicgen.json");
        var node = JsonNode.Parse(File.ReadAllText(path))!;
        edit(node);
        File.WriteAllText(path, node.ToJsonString());
        return dir;
    }
}
