using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace MusicGen.Inference.Runtime;

/// <summary>Builds ONNX Runtime sessions from <see cref="InferenceOptions"/>: threads, optimization level, execution provider.</summary>
internal sealed class SessionFactory
{
    private static readonly Lock CreateLock = new();
    private readonly InferenceOptions _options;
    private readonly ILogger _logger;
    private bool _warned;

    public SessionFactory(InferenceOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        UseCuda = ResolveCuda();
    }

    /// <summary>True when sessions run on the CUDA execution provider.</summary>
    public bool UseCuda { get; private set; }

    /// <summary>The provider sessions actually use: <c>cpu</c> or <c>cuda</c>.</summary>
    public string EffectiveProvider => UseCuda ? ExecutionProviderNames.Cuda : ExecutionProviderNames.Cpu;

    /// <summary>Names of the providers the loaded native ONNX Runtime offers.</summary>
    public static IReadOnlyList<string> AvailableProviders() => OrtEnv.Instance().GetAvailableProviders();

    public static bool TryParseOptimization(string? value, out GraphOptimizationLevel level)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case "all": level = GraphOptimizationLevel.ORT_ENABLE_ALL; return true;
            case "extended": level = GraphOptimizationLevel.ORT_ENABLE_EXTENDED; return true;
            case "basic": level = GraphOptimizationLevel.ORT_ENABLE_BASIC; return true;
            case "disabled" or "none": level = GraphOptimizationLevel.ORT_DISABLE_ALL; return true;
            default: level = GraphOptimizationLevel.ORT_ENABLE_ALL; return false;
        }
    }

    private bool ResolveCuda()
    {
        if (!string.Equals(_options.ExecutionProvider, ExecutionProviderNames.Cuda, StringComparison.OrdinalIgnoreCase)) return false;
        var available = AvailableProviders();
        if (available.Contains("CUDAExecutionProvider"))
        {
            // Load the CUDA provider now (it needs the CUDA 13 libraries): a bad setup falls back here, once, before
            // a graph is chosen for the provider.
            UseCuda = true;
            using (CreateOptions(true)) { }
            return UseCuda;
        }
        var reason = $"this build's ONNX Runtime ({OnnxRuntimeBuild.Describe()}) offers only [{string.Join(", ", available)}] (build with -p:OnnxRuntimeFlavor=Gpu for CUDA)";
        return FallBack(reason, null);
    }

    private bool FallBack(string reason, Exception? error)
    {
        if (_options.RequireGpu)
            throw new InvalidOperationException($"Execution provider 'cuda' was required (RequireGpu) but {reason}.", error);
        if (!_warned)
        {
            _warned = true;
            _logger.LogWarning("CUDA requested but {Reason}; running on the CPU instead.", reason);
        }
        UseCuda = false;
        return false;
    }

    /// <summary>
    /// Creates a session for <paramref name="modelPath"/>, one at a time (concurrent creation has been racy).
    /// </summary>
    public InferenceSession Create(string modelPath)
    {
        lock (CreateLock)
        {
            using var options = CreateOptions(UseCuda);
            try
            {
                return new InferenceSession(modelPath, options);
            }
            catch (OnnxRuntimeException e) when (UseCuda && !_options.RequireGpu)
            {
                FallBack($"creating the CUDA session failed ({e.Message.Trim()})", e);
                using var cpu = CreateOptions(false);
                return new InferenceSession(modelPath, cpu);
            }
        }
    }

    private SessionOptions CreateOptions(bool cuda)
    {
        bool spin = _options.IntraOpThreads != 1;
        TryParseOptimization(_options.GraphOptimization, out var level);
        var options = new SessionOptions
        {
            GraphOptimizationLevel = level,
            IntraOpNumThreads = _options.IntraOpThreads,
            InterOpNumThreads = _options.InterOpThreads,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        // Spinning threads burn the shared CPU between steps; with one thread nothing spins anyway.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
        if (!string.IsNullOrEmpty(_options.ProfilePrefix))
        {
            options.EnableProfiling = true;
            options.ProfileOutputPathPrefix = _options.ProfilePrefix;
        }
        if (cuda)
        {
            try
            {
                using var cudaOptions = new OrtCUDAProviderOptions();
                var values = new Dictionary<string, string>(_options.CudaProviderOptions, StringComparer.Ordinal)
                {
                    ["device_id"] = _options.DeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                };
                cudaOptions.UpdateOptions(values);
                options.AppendExecutionProvider_CUDA(cudaOptions);
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                if (_options.RequireGpu)
                {
                    options.Dispose();
                    throw new InvalidOperationException($"Execution provider 'cuda' was required (RequireGpu) but could not be set up: {e.Message}", e);
                }
                FallBack($"the CUDA provider could not be set up ({e.Message.Trim()})", e);
            }
        }
        return options;
    }
}
