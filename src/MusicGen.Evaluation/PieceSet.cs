using MusicGen.Core.Metrics;
using MusicGen.Core.Music;

namespace MusicGen.Evaluation;

/// <summary>A piece with its metric values (in the order of <see cref="MusicMetrics.All"/>).</summary>
/// <param name="Name">File name or label.</param>
/// <param name="Score">The piece.</param>
/// <param name="Metrics">Its metric values.</param>
public sealed record EvaluatedPiece(string Name, Score Score, double[] Metrics)
{
    /// <summary>The classifier feature vector (<see cref="FeatureVector"/>).</summary>
    public float[] Features() => FeatureVector.Create(Score, Metrics);
}

/// <summary>A set of pieces to compare (the real corpus or the generated pieces).</summary>
/// <param name="Label">Short name used in tables and legends (e.g. <c>real</c>).</param>
/// <param name="Source">Where the pieces came from (a folder, or the model that generated them).</param>
/// <param name="Pieces">The pieces that could be read.</param>
/// <param name="Skipped">Files that could not be read, each with the reason.</param>
public sealed record PieceSet(string Label, string Source, IReadOnlyList<EvaluatedPiece> Pieces, IReadOnlyList<string> Skipped)
{
    /// <summary>Metric rows of the pieces.</summary>
    public IReadOnlyList<double[]> MetricRows => Pieces.Select(p => p.Metrics).ToArray();

    /// <summary>Builds a set from scores in memory (e.g. pieces the engine just generated).</summary>
    public static PieceSet FromScores(string label, string source, IEnumerable<(string Name, Score Score)> scores, MetricOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var pieces = scores.Select(s => new EvaluatedPiece(s.Name, s.Score, MusicMetrics.Compute(s.Score, options))).ToArray();
        return new PieceSet(label, source, pieces, []);
    }

    /// <summary>
    /// Reads every <c>.mid</c>/<c>.midi</c> file under <paramref name="directory"/> (recursively, in ordinal path
    /// order) with <paramref name="load"/>; files that fail to load are listed in <see cref="Skipped"/>.
    /// </summary>
    /// <param name="label">Set label.</param>
    /// <param name="directory">Folder to read.</param>
    /// <param name="load">Reads one file (e.g. <c>MidiScore.Load</c>).</param>
    /// <param name="options">Metric options.</param>
    /// <param name="limit">Read at most this many files (the first in path order); null for all.</param>
    /// <param name="cancellationToken">Stops between files.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static PieceSet LoadDirectory(string label, string directory, Func<string, Score> load, MetricOptions? options = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(load);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"No such folder: {directory}");
        }

        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".mid", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".midi", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .Take(limit ?? int.MaxValue)
            .ToArray();
        var pieces = new List<EvaluatedPiece>(files.Length);
        var skipped = new List<string>();
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string name = Path.GetRelativePath(directory, file);
            try
            {
                var score = load(file);
                pieces.Add(new EvaluatedPiece(name, score, MusicMetrics.Compute(score, options)));
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                skipped.Add($"{name}: {e.Message.ReplaceLineEndings(" ")}");
            }
        }

        return new PieceSet(label, directory, pieces, skipped);
    }
}
