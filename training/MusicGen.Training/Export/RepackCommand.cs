using System.CommandLine;
using System.Globalization;
using MusicGen.Core.Packaging;
using MusicGen.Onnx;

namespace MusicGen.Training.Export;

/// <summary>
/// <c>musicgen-train repack</c>: rebuilds every graph of a transformer package from the weights its portable graph
/// holds (<see cref="PortableGraphWeights"/>, bit for bit) and writes the package again in the current form (the
/// shared fp32 weights once, in the weights file), keeping the manifest's other fields. Before the new package
/// replaces the old one, every new graph must give exactly the logits of the old graph of its variant.
/// </summary>
internal static class RepackCommand
{
    private const int Prefix = 8;

    /// <summary>The <c>repack</c> command.</summary>
    public static Command Create()
    {
        var package = new Option<DirectoryInfo>("--package") { Description = "Transformer package folder (onnx/<name>) to rebuild.", Required = true };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Package folder to write (default: the package itself, replaced atomically)." };
        var seed = new Option<int>("--seed") { Description = "Seed of the random sequences the old and new graphs are compared on.", DefaultValueFactory = _ => 1 };
        var cmd = new Command("repack", "Rebuild a transformer package's graphs from its portable graph's weights in the current package form (shared fp32 weights stored once); "
            + "the new graphs must give exactly the old graphs' logits before the package is replaced.")
        {
            package, output, seed,
        };
        cmd.SetAction(parse => ExportCommands.Guard(() =>
        {
            var dir = parse.GetValue(package)!.FullName;
            return Run(dir, parse.GetValue(output)?.FullName ?? dir, parse.GetValue(seed), OrtSessions.Instance);
        }));
        return cmd;
    }

    private static int Run(string dir, string outDir, int seed, OrtSessions ort)
    {
        var old = ModelManifest.Load(dir);
        if (old.Architecture != ModelArchitectures.Transformer)
            throw new ArgumentException($"{dir}: a {old.Architecture} package has a single graph, nothing to share; only transformer packages are repacked.");
        var weights = PortableGraphWeights.Read(dir, out var manifest); // checks every file's hash first
        long before = PackageBytes(dir);
        var graphs = old.Graphs.Select(g => g.Variant switch
        {
            GraphVariants.Portable => TransformerGraphs.BuildPortable(weights),
            GraphVariants.Fast => TransformerGraphs.BuildFast(weights),
            GraphVariants.FastFp16 => TransformerGraphs.BuildFast(weights, fp16: true),
            GraphVariants.FastInt8 => TransformerGraphs.BuildFast(weights, int8: true),
            _ => throw new ArgumentException($"{dir}: graph variant '{g.Variant}' cannot be rebuilt."),
        }).ToList();
        foreach (var (g, o) in graphs.Zip(old.Graphs))
        {
            if (g.Entry.File != o.File) throw new InvalidOperationException($"{dir}: the {o.Variant} graph is '{o.File}' there, the builder writes '{g.Entry.File}'.");
            // Informational: an old self-contained graph rebuilt self-contained gives the same bytes when nothing but the
            // storage of its weights changes.
            if (old.Weights is null)
                Console.WriteLine($"  {o.Variant,-10} rebuilt self-contained: {(g.Model.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(dir, o.File))) ? "the same bytes as" : "other bytes than")} the old {o.File}");
        }
        var written = ModelPackageWriter.Write(outDir, manifest, graphs, (temp, m) =>
        {
            ort.ValidatePackage(temp, m);
            foreach (var g in m.Graphs)
            {
                double diff = Compare(ort, Path.Combine(dir, g.File), Path.Combine(temp, g.File), g, m, seed);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {g.Variant,-10} {g.File,-22} max |new - old logit| {diff:G3}"));
                if (diff != 0) throw new InvalidOperationException($"{g.File}: the rebuilt graph's logits differ from the old graph's by up to {diff}; nothing was replaced.");
            }
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {outDir}: {before / 1e6:F2} MB before, {PackageBytes(outDir) / 1e6:F2} MB now; every graph gives the old graph's logits exactly."));
        if (written.Weights is { } w) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {w.File}: {w.Size / 1e6:F2} MB, sha256 {w.Sha256[..12]}…"));
        return 0;
    }

    private static long PackageBytes(string dir) => Directory.GetFiles(dir).Sum(f => new FileInfo(f).Length);

    /// <summary>Max |new - old| over the logits of one random sequence: prefill, then cached steps (portable: all positions).</summary>
    private static double Compare(OrtSessions ort, string oldPath, string newPath, GraphEntry g, ModelManifest m, int seed)
    {
        var h = m.HyperParameters;
        using var oldSession = ort.Load(oldPath, out _);
        using var newSession = ort.Load(newPath, out _);
        var rng = new Random(seed);
        int length = Math.Min(m.ContextLength, 160);
        var tokens = Enumerable.Range(0, length).Select(_ => (long)rng.Next(h.VocabSize)).ToArray();
        double diff = 0;
        if (g.Variant == GraphVariants.Portable)
        {
            var a = new PortableGraphRunner(oldSession, h.Layers, h.KvHeads, h.HeadSize, h.VocabSize);
            var b = new PortableGraphRunner(newSession, h.Layers, h.KvHeads, h.HeadSize, h.VocabSize);
            long[] mask = [.. tokens.Select(_ => 1L)];
            long[] pos = [.. Enumerable.Range(0, length).Select(i => (long)i)];
            var ra = a.Run(1, tokens, mask, pos, a.EmptyPast(), a.EmptyPast());
            var rb = b.Run(1, tokens, mask, pos, b.EmptyPast(), b.EmptyPast());
            return LogitComparison.MaxAbsDiff(ra.Logits, rb.Logits);
        }
        var layout = g.KvLayout ?? throw new InvalidOperationException($"{g.File} has no kvLayout");
        using var fa = new FastGraphRunner(oldSession, layout, h.VocabSize, 1);
        using var fb = new FastGraphRunner(newSession, layout, h.VocabSize, 1);
        diff = LogitComparison.MaxAbsDiff(fa.Step(tokens[..Prefix], [Prefix - 1], Prefix), fb.Step(tokens[..Prefix], [Prefix - 1], Prefix));
        for (int t = Prefix; t < length; t++)
            diff = Math.Max(diff, LogitComparison.MaxAbsDiff(fa.Step([tokens[t]], [t], t + 1), fb.Step([tokens[t]], [t], t + 1)));
        return diff;
    }
}
