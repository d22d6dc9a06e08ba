using Microsoft.Extensions.Options;
using MusicGen.Inference.Runtime;

namespace MusicGen.Inference;

/// <summary>Which ONNX graph of a transformer package the engine runs.</summary>
public enum GraphPreference
{
    /// <summary>The fast graph (GroupQueryAttention, shared KV buffer) when the package has one, else the portable graph.</summary>
    Auto,

    /// <summary>The fast graph; loading fails when the package lacks it.</summary>
    Fast,

    /// <summary>
    /// The fast graph with int8 linear-layer weights (<c>fast-int8</c>, CPU): up to about twice the batch-1 speed
    /// (the more the weights dominate a step, the more it gains), logits within a few tenths of fp32 (so sampled
    /// tokens can differ from the fp32 graphs'); loading fails when the package lacks it.
    /// </summary>
    FastInt8,

    /// <summary>The portable graph (plain ONNX ops, present -> past KV cache).</summary>
    Portable,
}

/// <summary>
/// How the engine loads models and runs ONNX Runtime. Bind it from configuration (section <c>MusicGen:Inference</c>
/// by convention) or set it in code; <see cref="Validate"/> reports every bad field at once.
/// </summary>
public sealed class InferenceOptions
{
    /// <summary>Folder of the model package to load by default (<c>onnx/&lt;name&gt;</c>, holding <c>musicgen.json</c>).</summary>
    public string? ModelPath { get; set; }

    /// <summary>Execution provider: <c>cpu</c> (default) or <c>cuda</c>.</summary>
    public string ExecutionProvider { get; set; } = "cpu";

    /// <summary>CUDA device ordinal when <see cref="ExecutionProvider"/> is <c>cuda</c>.</summary>
    public int DeviceId { get; set; }

    /// <summary>
    /// Extra CUDA execution provider options passed verbatim to ONNX Runtime (for example
    /// <c>gpu_mem_limit</c>, <c>arena_extend_strategy</c>, <c>cudnn_conv_algo_search</c>).
    /// </summary>
    public Dictionary<string, string> CudaProviderOptions { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// When true, asking for <c>cuda</c> on a native ONNX Runtime without the CUDA provider fails instead of falling
    /// back to the CPU with a warning.
    /// </summary>
    public bool RequireGpu { get; set; }

    /// <summary>
    /// Intra-op threads per session (default 1; 0 lets ONNX Runtime pick one thread per core). On an idle 2-core
    /// machine 0 made batch 1 of a d-256 model 1.5-1.6x faster (the bundled pop model about 5%), but the pool's
    /// threads spin between operators: with other work on the same cores (a service and its clients) it was up to
    /// 1.7x slower, and steps of many rows gain more from <see cref="ParallelDecodeThreads"/>, which needs 1 here.
    /// See docs/inference.md.
    /// </summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>
    /// Threads that share a large decode step (default 0 = one per core; 1 = off). A step of at least
    /// <see cref="ParallelDecodeMinRows"/> rows on the fast graph is cut into this many contiguous slices of rows that
    /// run at once on the same session, each on one thread with <see cref="IntraOpThreads"/> = 1: one join per step
    /// instead of ONNX Runtime's per-operator synchronization, which cost more than it gained on 2 cores
    /// (docs/inference.md). Batch-1 steps never split. Ignored on CUDA and for the portable and LSTM graphs.
    /// </summary>
    public int ParallelDecodeThreads { get; set; }

    /// <summary>Fewest rows in a decode step for it to be cut into <see cref="ParallelDecodeThreads"/> slices (default 8).</summary>
    public int ParallelDecodeMinRows { get; set; } = 8;

    /// <summary>Inter-op threads per session (default 1; the graphs are sequential).</summary>
    public int InterOpThreads { get; set; } = 1;

    /// <summary>ONNX Runtime graph optimization level: <c>all</c> (default), <c>extended</c>, <c>basic</c> or <c>disabled</c>.</summary>
    public string GraphOptimization { get; set; } = "all";

    /// <summary>Which transformer graph to run.</summary>
    public GraphPreference Graph { get; set; } = GraphPreference.Auto;

    /// <summary>Most sequences decoded together in one step by <see cref="IMusicGenerator"/> (continuous batching).</summary>
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>
    /// Longest sequence (primer + generated tokens) the engine holds a KV cache for; 0 = the model's context length.
    /// Memory per slot is layers x 2 x kvHeads x this x headSize x 4 bytes.
    /// </summary>
    public int MaxSequenceLength { get; set; }

    /// <summary>Default number of tokens to generate when a request sets no length.</summary>
    public int DefaultMaxTokens { get; set; } = GenerationOptions.DefaultTokens;

    /// <summary>Largest number of tokens one request may ask for.</summary>
    public int MaxTokensLimit { get; set; } = 16_384;

    /// <summary>When set, ONNX Runtime writes a per-node profile (JSON) for each session to files starting with this path.</summary>
    public string? ProfilePrefix { get; set; }

    /// <summary>
    /// Bounds on a primer (bytes, notes, length in ticks and on the tokenizer's grid, tokens per bar), checked before
    /// the work they bound; a primer over one is refused with <see cref="MusicGen.Core.Limits.InputLimitExceededException"/>
    /// naming it. Defaults: <see cref="MusicGen.Core.Limits.InputLimits"/>.
    /// </summary>
    public MusicGen.Core.Limits.InputLimits InputLimits { get; set; } = new();

    /// <summary>Checks every field; returns the problems found (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!ExecutionProviderNames.IsKnown(ExecutionProvider))
            errors.Add($"{nameof(ExecutionProvider)} '{ExecutionProvider}' is not supported; use 'cpu' or 'cuda'.");
        if (DeviceId < 0) errors.Add($"{nameof(DeviceId)} must be >= 0 (got {DeviceId}).");
        if (IntraOpThreads < 0) errors.Add($"{nameof(IntraOpThreads)} must be >= 0 (got {IntraOpThreads}).");
        if (ParallelDecodeThreads is < 0 or > 256) errors.Add($"{nameof(ParallelDecodeThreads)} must be in 0..256 (0 = one per core, 1 = off; got {ParallelDecodeThreads}).");
        if (ParallelDecodeMinRows is < 2 or > 4096) errors.Add($"{nameof(ParallelDecodeMinRows)} must be in 2..4096 (got {ParallelDecodeMinRows}).");
        if (InterOpThreads < 0) errors.Add($"{nameof(InterOpThreads)} must be >= 0 (got {InterOpThreads}).");
        if (!SessionFactory.TryParseOptimization(GraphOptimization, out _))
            errors.Add($"{nameof(GraphOptimization)} '{GraphOptimization}' is not one of all, extended, basic, disabled.");
        if (MaxBatchSize is < 1 or > 4096) errors.Add($"{nameof(MaxBatchSize)} must be in 1..4096 (got {MaxBatchSize}).");
        if (MaxSequenceLength < 0) errors.Add($"{nameof(MaxSequenceLength)} must be >= 0 (got {MaxSequenceLength}).");
        if (DefaultMaxTokens < 1) errors.Add($"{nameof(DefaultMaxTokens)} must be >= 1 (got {DefaultMaxTokens}).");
        if (MaxTokensLimit < 1) errors.Add($"{nameof(MaxTokensLimit)} must be >= 1 (got {MaxTokensLimit}).");
        if (ModelPath is not null && string.IsNullOrWhiteSpace(ModelPath)) errors.Add($"{nameof(ModelPath)} is blank.");
        if (InputLimits is null) errors.Add($"{nameof(InputLimits)} is missing.");
        else errors.AddRange(InputLimits.Validate().Select(e => $"{nameof(InputLimits)}.{e}"));
        return errors;
    }

    /// <summary>Intra-op threads a count resolves to: 0 means one per core (<see cref="Environment.ProcessorCount"/>).</summary>
    internal static int ResolveThreads(int threads) => threads > 0 ? threads : Environment.ProcessorCount;

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every problem when the options are invalid.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
            throw new OptionsValidationException(nameof(InferenceOptions), typeof(InferenceOptions), errors);
    }

    /// <summary>A copy of these options (the engine keeps its own so later edits do not affect it).</summary>
    public InferenceOptions Clone()
    {
        var copy = (InferenceOptions)MemberwiseClone();
        copy.CudaProviderOptions = new Dictionary<string, string>(CudaProviderOptions, StringComparer.Ordinal);
        return copy;
    }
}

/// <summary>Validates <see cref="InferenceOptions"/> for the options framework (used with ValidateOnStart).</summary>
public sealed class InferenceOptionsValidator : IValidateOptions<InferenceOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, InferenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (options.ModelPath is null) errors = [.. errors, $"{nameof(InferenceOptions.ModelPath)} is required: the folder of a model package (onnx/<name>)."];
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal static class ExecutionProviderNames
{
    public const string Cpu = "cpu";
    public const string Cuda = "cuda";

    public static bool IsKnown(string? name) =>
        string.Equals(name, Cpu, StringComparison.OrdinalIgnoreCase) || string.Equals(name, Cuda, StringComparison.OrdinalIgnoreCase);
}
