using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace MusicGen.Evaluation;

/// <summary>
/// The classifier two-sample test run on several independent generated sets of one size against the same real set:
/// the spread of the AUC from one draw of pieces to the next. One set's AUC swings widely (a set of 32 pieces moves
/// by ±0.05 to 0.1 between draws), and the AUC rises with the set's size (the classifier learns from more generated
/// pieces), so a model's level is the spread over draws at a fixed size, not one set's figure.
/// </summary>
public sealed record C2stSpread
{
    private C2stSpread(IReadOnlyList<C2stResult> sets, int setSize)
    {
        Sets = sets;
        SetSize = setSize;
        var aucs = sets.Select(s => s.Auc).Order().ToArray();
        Mean = aucs.Average();
        Median = aucs.Length % 2 == 1 ? aucs[aucs.Length / 2] : (aucs[(aucs.Length / 2) - 1] + aucs[aucs.Length / 2]) / 2;
        Std = aucs.Length < 2 ? 0 : Math.Sqrt(aucs.Sum(a => (a - Mean) * (a - Mean)) / (aucs.Length - 1));
        Min = aucs[0];
        Max = aucs[^1];
    }

    /// <summary>The AUC the project's default model aims at on sets of 32 pieces (at most this; docs/evaluation.md), counted by <see cref="AtMost"/> in the report.</summary>
    public const double ReferenceAuc = 0.75;

    /// <summary>Each set's test, in set order.</summary>
    public IReadOnlyList<C2stResult> Sets { get; }

    /// <summary>Generated pieces per set.</summary>
    public int SetSize { get; }

    /// <summary>Mean AUC over the sets.</summary>
    public double Mean { get; }

    /// <summary>Median AUC over the sets.</summary>
    public double Median { get; }

    /// <summary>Sample standard deviation of the AUCs (n − 1; 0 for one set).</summary>
    public double Std { get; }

    /// <summary>Lowest AUC.</summary>
    public double Min { get; }

    /// <summary>Highest AUC.</summary>
    public double Max { get; }

    /// <summary>How many sets measured an AUC at or below <paramref name="auc"/>.</summary>
    public int AtMost(double auc) => Sets.Count(s => s.Auc <= auc);

    /// <summary>Runs the test of <paramref name="real"/> against each of <paramref name="sets"/> (feature vectors, <see cref="FeatureVector"/>), all of one size.</summary>
    public static C2stSpread Run(IReadOnlyList<float[]> real, IReadOnlyList<IReadOnlyList<float[]>> sets, C2stOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(sets);
        if (sets.Count == 0) throw new ArgumentException("Give at least one generated set.", nameof(sets));
        var size = sets[0].Count;
        for (var i = 1; i < sets.Count; i++)
        {
            if (sets[i].Count != size) throw new ArgumentException($"Every set needs the same size, since the AUC depends on it: set 1 has {size} pieces, set {i + 1} has {sets[i].Count}.", nameof(sets));
        }

        var results = sets.Select(s => ClassifierTwoSampleTest.Run(real, s, options, cancellationToken)).ToArray();
        return new C2stSpread(results, size);
    }

    /// <summary>The spread as JSON: per-set AUCs with their intervals and the summary.</summary>
    public JsonObject ToJson() => new()
    {
        ["sets"] = Sets.Count,
        ["setSize"] = SetSize,
        ["mean"] = Mean,
        ["median"] = Median,
        ["std"] = Std,
        ["min"] = Min,
        ["max"] = Max,
        ["reference"] = ReferenceAuc,
        ["atOrBelowReference"] = AtMost(ReferenceAuc),
        ["aucs"] = new JsonArray(Sets.Select(s => (JsonNode?)new JsonObject { ["auc"] = s.Auc, ["ciLow"] = s.CiLow, ["ciHigh"] = s.CiHigh }).ToArray()),
    };

    /// <summary>The spread as Markdown lines for the report.</summary>
    public string Markdown()
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(ci, $"The same test on {Sets.Count} independent generated sets of {SetSize} pieces each (the first is the set above):").AppendLine();
        sb.AppendLine(ci, $"- **AUC mean {EvaluationReport.Format(Mean)}**, median {EvaluationReport.Format(Median)}, std {EvaluationReport.Format(Std)}, range {EvaluationReport.Format(Min)}-{EvaluationReport.Format(Max)}; {AtMost(ReferenceAuc)} of {Sets.Count} sets at or below {EvaluationReport.Format(ReferenceAuc)}.");
        sb.AppendLine(ci, $"- Per set: {string.Join(", ", Sets.Select(s => $"{EvaluationReport.Format(s.Auc)} [{EvaluationReport.Format(s.CiLow)}, {EvaluationReport.Format(s.CiHigh)}]"))}.");
        return sb.ToString();
    }
}
