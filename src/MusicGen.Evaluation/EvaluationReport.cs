using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MusicGen.Core.Metrics;

namespace MusicGen.Evaluation;

/// <summary>Settings of <see cref="EvaluationReport.Write"/>.</summary>
public sealed record ReportOptions
{
    /// <summary>Report title.</summary>
    public string Title { get; init; } = "MusicGen evaluation";

    /// <summary>The command line that produced the report (shown verbatim), or null.</summary>
    public string? Command { get; init; }

    /// <summary>Model description lines (name, architecture, size, training), or empty.</summary>
    public IReadOnlyList<string> Model { get; init; } = [];

    /// <summary>Likelihood figures, or null.</summary>
    public NllResult? Nll { get; init; }

    /// <summary>Why the likelihood is missing (shown when <see cref="Nll"/> is null), or null.</summary>
    public string? NllNote { get; init; }

    /// <summary>Which data the likelihood was computed on, e.g. <c>jsb-chorales-quarter.json, split valid</c>.</summary>
    public string? NllData { get; init; }

    /// <summary>Run the classifier two-sample test (needs at least <see cref="C2stOptions.Folds"/> pieces per set).</summary>
    public bool RunC2st { get; init; } = true;

    /// <summary>Classifier two-sample test settings.</summary>
    public C2stOptions C2st { get; init; } = new();

    /// <summary>
    /// The test repeated on more generated sets of the same size, or null. Its first set must be the report's own
    /// generated set: the report takes that set's test from here instead of running it again.
    /// </summary>
    public C2stSpread? Spread { get; init; }

    /// <summary>Piano rolls drawn of generated pieces (plus one real piece).</summary>
    public int PianoRolls { get; init; } = 3;

    /// <summary>Quarter notes drawn per piano roll.</summary>
    public double PianoRollQuarters { get; init; } = 64;
}

/// <summary>What <see cref="EvaluationReport.Write"/> computed.</summary>
/// <param name="Comparisons">Metric comparison rows.</param>
/// <param name="C2st">Classifier two-sample test, or null when not run.</param>
/// <param name="C2stNote">Why the test was not run, or null.</param>
/// <param name="MarkdownPath">The report file.</param>
/// <param name="Files">Every file written (report, JSON, PNGs).</param>
public sealed record ReportSummary(IReadOnlyList<MetricComparison> Comparisons, C2stResult? C2st, string? C2stNote, string MarkdownPath, IReadOnlyList<string> Files);

/// <summary>
/// One Markdown report with PNG figures (and the same figures as JSON): likelihood, the classifier two-sample
/// test, the metric table with overlapping areas, metric distribution plots and piano rolls of a few samples.
/// </summary>
public static class EvaluationReport
{
    /// <summary>Compares <paramref name="generated"/> with <paramref name="real"/> and writes <c>report.md</c>, <c>report.json</c> and PNGs into <paramref name="outputDirectory"/>.</summary>
    public static ReportSummary Write(string outputDirectory, PieceSet real, PieceSet generated, ReportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(generated);
        options ??= new ReportOptions();
        options.C2st.Validate();
        if (real.Pieces.Count == 0 || generated.Pieces.Count == 0)
        {
            throw new ArgumentException($"Both sets need pieces: {real.Label} has {real.Pieces.Count}, {generated.Label} has {generated.Pieces.Count}.");
        }

        Directory.CreateDirectory(outputDirectory);
        var files = new List<string>();
        var comparisons = SetComparison.Compare(MusicMetrics.Names, real.MetricRows, generated.MetricRows);

        C2stResult? c2st = null;
        string? c2stNote = null;
        if (!options.RunC2st)
        {
            c2stNote = "not run (--no-c2st)";
        }
        else if (real.Pieces.Count < options.C2st.Folds || generated.Pieces.Count < options.C2st.Folds)
        {
            c2stNote = $"not run: {options.C2st.Folds}-fold cross-validation needs at least {options.C2st.Folds} pieces per set";
        }
        else
        {
            c2st = options.Spread?.Sets[0]
                ?? ClassifierTwoSampleTest.Run(real.Pieces.Select(p => p.Features()).ToArray(), generated.Pieces.Select(p => p.Features()).ToArray(), options.C2st, cancellationToken);
        }

        string metricsPng = Path.Combine(outputDirectory, "metrics.png");
        Plots.MetricDistributions(metricsPng, MusicMetrics.Names, real.MetricRows, generated.MetricRows, real.Label, generated.Label);
        files.Add(metricsPng);

        var rolls = new List<(string File, string Caption)>();
        for (int i = 0; i < Math.Min(options.PianoRolls, generated.Pieces.Count); i++)
        {
            var p = generated.Pieces[i];
            string file = $"pianoroll-{generated.Label}-{i + 1}.png";
            Plots.PianoRoll(Path.Combine(outputDirectory, file), p.Score, $"{generated.Label}: {p.Name}", options.PianoRollQuarters);
            rolls.Add((file, $"{generated.Label}: {p.Name}"));
        }

        if (options.PianoRolls > 0)
        {
            var p = real.Pieces[0];
            string file = $"pianoroll-{real.Label}-1.png";
            Plots.PianoRoll(Path.Combine(outputDirectory, file), p.Score, $"{real.Label}: {p.Name}", options.PianoRollQuarters);
            rolls.Add((file, $"{real.Label}: {p.Name}"));
        }

        files.AddRange(rolls.Select(r => Path.Combine(outputDirectory, r.File)));

        string md = Path.Combine(outputDirectory, "report.md");
        File.WriteAllText(md, Markdown(real, generated, comparisons, c2st, c2stNote, rolls, options));
        files.Insert(0, md);
        string json = Path.Combine(outputDirectory, "report.json");
        var root = ToJson(real, generated, comparisons, c2st, c2stNote, options.Nll);
        if (options.Spread is { } spread)
        {
            root["c2stSets"] = spread.ToJson();
        }

        File.WriteAllText(json, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        files.Insert(1, json);
        return new ReportSummary(comparisons, c2st, c2stNote, md, files);
    }

    /// <summary>The metric comparison, classifier test and NLL as a JSON object (NaN written as null).</summary>
    public static JsonObject ToJson(PieceSet real, PieceSet generated, IReadOnlyList<MetricComparison> comparisons, C2stResult? c2st, string? c2stNote, NllResult? nll)
    {
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(generated);
        ArgumentNullException.ThrowIfNull(comparisons);
        var metrics = new JsonArray();
        foreach (var c in comparisons)
        {
            metrics.Add(new JsonObject
            {
                ["name"] = c.Name,
                ["real"] = Summary(c.Real),
                ["generated"] = Summary(c.Generated),
                ["valueOverlap"] = Num(c.ValueOverlap),
                ["realIntraVsInterOverlap"] = Num(c.RealIntraVsInterOverlap),
                ["generatedIntraVsInterOverlap"] = Num(c.GeneratedIntraVsInterOverlap),
            });
        }

        var root = new JsonObject
        {
            ["real"] = new JsonObject { ["label"] = real.Label, ["source"] = real.Source, ["pieces"] = real.Pieces.Count, ["skipped"] = real.Skipped.Count },
            ["generated"] = new JsonObject { ["label"] = generated.Label, ["source"] = generated.Source, ["pieces"] = generated.Pieces.Count, ["skipped"] = generated.Skipped.Count },
            ["meanValueOverlap"] = Num(MeanDefined(comparisons.Select(c => c.ValueOverlap))),
            ["meanRealIntraVsInterOverlap"] = Num(MeanDefined(comparisons.Select(c => c.RealIntraVsInterOverlap))),
            ["metrics"] = metrics,
        };
        root["c2st"] = c2st is null ? new JsonObject { ["note"] = c2stNote } : new JsonObject
        {
            ["auc"] = Num(c2st.Auc),
            ["ciLow"] = Num(c2st.CiLow),
            ["ciHigh"] = Num(c2st.CiHigh),
            ["confidence"] = c2st.Confidence,
            ["standardError"] = Num(c2st.StandardError),
            ["foldAucs"] = new JsonArray(c2st.FoldAucs.Select(a => (JsonNode?)Num(a)).ToArray()),
            ["foldMean"] = Num(c2st.FoldMean),
            ["foldStd"] = Num(c2st.FoldStd),
            ["permutations"] = c2st.Permutations,
            ["pValue"] = c2st.PValue is double p ? Num(p) : null,
            ["featureGains"] = new JsonObject(FeatureVector.Names.Select((n, i) => KeyValuePair.Create(n, i < c2st.FeatureGains.Count ? Num(c2st.FeatureGains[i]) : null))),
        };
        if (nll is not null)
        {
            root["nll"] = NllJson(nll);
        }

        return root;
    }

    /// <summary>An <see cref="NllResult"/> as JSON (NaN as null).</summary>
    public static JsonObject NllJson(NllResult nll)
    {
        ArgumentNullException.ThrowIfNull(nll);
        return new JsonObject
        {
            ["sequences"] = nll.Sequences,
            ["tokens"] = nll.Tokens,
            ["nllPerToken"] = Num(nll.NllPerToken),
            ["perplexity"] = Num(nll.Perplexity),
            ["accuracy"] = Num(nll.Accuracy),
            ["frames"] = nll.Frames,
            ["nllPerFrame"] = Num(nll.NllPerFrame),
            ["firstFrameScored"] = nll.FirstFrameScored,
            ["maskViolations"] = nll.MaskViolations,
        };
    }

    /// <summary>Formats a metric value for tables: 3 decimals, or <c>n/a</c> for NaN.</summary>
    public static string Format(double v) => double.IsNaN(v) ? "n/a" : v.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>Mean ± std of a summary, or <c>n/a</c>.</summary>
    public static string Format(SampleSummary s) => s.Count == 0 ? "n/a" : $"{Format(s.Mean)} ± {Format(s.Std)}";

    /// <summary>Mean of the finite values, NaN when none.</summary>
    public static double MeanDefined(IEnumerable<double> values)
    {
        var d = Numerics.Defined(values);
        return d.Length == 0 ? double.NaN : d.Average();
    }

    private static string Markdown(PieceSet real, PieceSet generated, IReadOnlyList<MetricComparison> comparisons, C2stResult? c2st, string? c2stNote, List<(string File, string Caption)> rolls, ReportOptions options)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(ci, $"# {options.Title}").AppendLine();
        sb.AppendLine(ci, $"Written {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        if (options.Command is not null)
        {
            sb.AppendLine().AppendLine("```").AppendLine(options.Command).AppendLine("```");
        }

        sb.AppendLine();
        if (options.Model.Count > 0)
        {
            sb.AppendLine("## Model").AppendLine();
            foreach (var line in options.Model)
            {
                sb.AppendLine(ci, $"- {line}");
            }

            sb.AppendLine();
        }

        sb.AppendLine("## Data").AppendLine();
        foreach (var set in new[] { real, generated })
        {
            sb.AppendLine(set.Skipped.Count > 0
                ? $"- **{set.Label}**: {set.Pieces.Count} pieces from `{set.Source}` ({set.Skipped.Count} unreadable files skipped)"
                : $"- **{set.Label}**: {set.Pieces.Count} pieces from `{set.Source}`");
        }

        sb.AppendLine().AppendLine("## Likelihood").AppendLine();
        if (options.Nll is { } nll)
        {
            if (options.NllData is not null)
            {
                sb.AppendLine(ci, $"On {options.NllData}.").AppendLine();
            }

            sb.AppendLine("| sequences | tokens | NLL / token (nats) | perplexity | accuracy | frames | NLL / frame (nats) |");
            sb.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
            sb.AppendLine(ci, $"| {nll.Sequences} | {nll.Tokens} | {Format(nll.NllPerToken)} | {Format(nll.Perplexity)} | {Format(nll.Accuracy)} | {nll.Frames} | {Format(nll.NllPerFrame)} |");
            if (nll.Frames > 0)
            {
                sb.AppendLine().AppendLine(ci, $"Frame NLL: the token NLLs of each frame summed (FrameEnd included), pooled over all frames; first frame {(nll.FirstFrameScored ? "scored" : "not scored")}.");
            }
        }
        else
        {
            sb.AppendLine(options.NllNote ?? "Not computed.");
        }

        sb.AppendLine().AppendLine("## Real vs generated: classifier two-sample test").AppendLine();
        if (c2st is not null)
        {
            sb.AppendLine(ci, $"FastTree on {FeatureVector.Names.Count} features per piece (the metrics below, the pitch-class histogram, the melodic interval histogram), {c2st.FoldAucs.Count}-fold stratified cross-validation, {c2st.RealCount} {real.Label} vs {c2st.GeneratedCount} {generated.Label} pieces.").AppendLine();
            sb.AppendLine(ci, $"- **AUC {Format(c2st.Auc)}** (pooled out-of-fold; {c2st.Confidence * 100:0}% DeLong interval [{Format(c2st.CiLow)}, {Format(c2st.CiHigh)}]). 0.5 = the classifier cannot tell the sets apart, 1 = it always can.");
            sb.AppendLine(ci, $"- Fold AUCs: {string.Join(", ", c2st.FoldAucs.Select(Format))} (mean {Format(c2st.FoldMean)}, std {Format(c2st.FoldStd)}).");
            if (c2st.PValue is double p)
            {
                sb.AppendLine(ci, $"- Permutation p-value: {p.ToString("0.###", ci)} ({c2st.Permutations} label permutations).");
            }

            var top = ClassifierTwoSampleTest.TopFeatures(c2st, FeatureVector.Names);
            if (top.Count > 0)
            {
                sb.AppendLine(ci, $"- Features the trees split on most (share of gain): {string.Join(", ", top.Select(f => $"{f.Name} {(f.Share * 100).ToString("0", ci)}%"))}.");
            }

            if (options.Spread is { } spread)
            {
                sb.AppendLine().Append(spread.Markdown());
            }
        }
        else
        {
            sb.AppendLine(string.Concat(c2stNote![..1].ToUpperInvariant(), c2stNote[1..], "."));
        }

        sb.AppendLine().AppendLine("## Musical metrics").AppendLine();
        sb.AppendLine("MusPy definitions (see docs/evaluation.md). Mean ± std over pieces (NaN values left out). OA = overlapping area of two kernel density estimates (Yang & Lerch 2020): *values* compares the per-piece values of the two sets; *intra/inter* compares the real set's intra-set distances with the inter-set distances (mgeval). 1 = identical distributions.").AppendLine();
        sb.AppendLine(ci, $"| metric | {real.Label} | {generated.Label} | OA values | OA intra/inter |");
        sb.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var c in comparisons)
        {
            sb.AppendLine(ci, $"| {c.Name} | {Format(c.Real)} | {Format(c.Generated)} | {Format(c.ValueOverlap)} | {Format(c.RealIntraVsInterOverlap)} |");
        }

        sb.AppendLine(ci, $"| **mean** | | | **{Format(MeanDefined(comparisons.Select(c => c.ValueOverlap)))}** | **{Format(MeanDefined(comparisons.Select(c => c.RealIntraVsInterOverlap)))}** |");
        sb.AppendLine().AppendLine("![metric distributions](metrics.png)").AppendLine();
        if (rolls.Count > 0)
        {
            sb.AppendLine("## Samples").AppendLine();
            foreach (var (file, caption) in rolls)
            {
                sb.AppendLine(ci, $"![{caption}]({file})").AppendLine();
            }
        }

        var skipped = real.Skipped.Select(s => $"{real.Label}: {s}").Concat(generated.Skipped.Select(s => $"{generated.Label}: {s}")).ToArray();
        if (skipped.Length > 0)
        {
            sb.AppendLine("## Unreadable files").AppendLine();
            foreach (var s in skipped.Take(50))
            {
                sb.AppendLine(ci, $"- {s}");
            }

            sb.AppendLine();
        }

        return sb.ToString();
    }

    private static JsonObject Summary(SampleSummary s) => new()
    {
        ["count"] = s.Count,
        ["missing"] = s.Missing,
        ["mean"] = Num(s.Mean),
        ["std"] = Num(s.Std),
    };

    private static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
}
