using System.Reflection;

namespace MusicGen.Inference.Runtime;

/// <summary>
/// The ONNX Runtime package this assembly was built against (<c>-p:OnnxRuntimeFlavor=Gpu</c> selects the GPU one;
/// Directory.Build.props), recorded at build time so that messages can say which flavor is running.
/// </summary>
internal static class OnnxRuntimeBuild
{
    /// <summary>NuGet id of the native package: <c>Microsoft.ML.OnnxRuntime</c> (CPU) or a GPU package.</summary>
    public static string Package { get; } = Metadata("OnnxRuntimePackage");

    /// <summary>Its version.</summary>
    public static string Version { get; } = Metadata("OnnxRuntimeVersion");

    /// <summary>True when built against a GPU package (its native library carries the CUDA and the CPU providers).</summary>
    public static bool IsGpuFlavor => Package.StartsWith("Microsoft.ML.OnnxRuntime.Gpu", StringComparison.Ordinal);

    /// <summary>One line for logs and the CLI: package and version.</summary>
    public static string Describe() => $"{Package} {Version}";

    private static string Metadata(string key) =>
        typeof(OnnxRuntimeBuild).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value ?? "unknown";
}
