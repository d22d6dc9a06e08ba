using MusicGen.Core.Packaging;

namespace MusicGen.Onnx;

/// <summary>
/// The float initializers of one graph of a model package, found and checked in one way for every architecture whose
/// weights are read back from a package (<see cref="PortableGraphWeights"/>, <see cref="LstmGraphWeights"/>).
/// </summary>
internal static class PackageGraphInitializers
{
    /// <summary>
    /// Loads the manifest in <paramref name="packageDirectory"/>, refuses another architecture than
    /// <paramref name="architecture"/> or a package without a graph of <paramref name="variant"/>, checks the files'
    /// hashes, and hands that graph's float initializers to <paramref name="recover"/>; an argument error it throws is
    /// prefixed with the graph's path.
    /// </summary>
    public static T Recover<T>(
        string packageDirectory, string architecture, string architectureName, string variant, string graphName, string graphFile,
        Func<ModelManifest, IReadOnlyDictionary<string, (float[] Data, long[] Dims)>, T> recover, out ModelManifest manifest)
    {
        manifest = ModelManifest.Load(packageDirectory);
        if (manifest.Architecture != architecture)
            throw new ArgumentException($"{packageDirectory}: a {manifest.Architecture} package, not {architectureName} one; weights are read back from {architecture} packages only.");
        var graph = manifest.Graphs.FirstOrDefault(g => g.Variant == variant)
            ?? throw new ArgumentException($"{packageDirectory}: the package has no {graphName} graph ({graphFile}) to read weights from.");
        manifest.VerifyFiles(packageDirectory);
        var path = Path.Combine(packageDirectory, graph.File);
        try
        {
            return recover(manifest, OnnxInitializerReader.ReadFloat(path));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>The values of initializer <paramref name="name"/>, which must have the dimensions <paramref name="want"/>.</summary>
    public static float[] Get(IReadOnlyDictionary<string, (float[] Data, long[] Dims)> initializers, string name, params long[] want)
    {
        if (!initializers.TryGetValue(name, out var t)) throw new ArgumentException($"initializer '{name}' is missing.");
        if (!t.Dims.SequenceEqual(want))
            throw new ArgumentException($"initializer '{name}' is [{string.Join(", ", t.Dims)}], the manifest's hyper-parameters give [{string.Join(", ", want)}].");
        return t.Data;
    }
}
