using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

namespace MusicGen.Evaluation;

/// <summary>Settings of <see cref="ClassifierTwoSampleTest"/>.</summary>
public sealed record C2stOptions
{
    /// <summary>Cross-validation folds (stratified by class). Default 5.</summary>
    public int Folds { get; init; } = 5;

    /// <summary>Seed of the fold assignment, the permutations and ML.NET. Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Boosted trees. Default 100.</summary>
    public int Trees { get; init; } = 100;

    /// <summary>Leaves per tree. Default 8.</summary>
    public int Leaves { get; init; } = 8;

    /// <summary>Learning rate. Default 0.1.</summary>
    public double LearningRate { get; init; } = 0.1;

    /// <summary>Label permutations for a p-value (0 = none). Each re-runs the whole cross-validation.</summary>
    public int Permutations { get; init; }

    /// <summary>Two-sided confidence level of the AUC interval. Default 0.95.</summary>
    public double Confidence { get; init; } = 0.95;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a setting outside its range.</summary>
    public void Validate()
    {
        if (Folds < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(Folds), Folds, "Cross-validation needs at least 2 folds.");
        }

        if (Trees < 1 || Leaves < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(Trees), $"Trees must be >= 1 and leaves >= 2, got {Trees} and {Leaves}.");
        }

        if (LearningRate is <= 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "Learning rate must be in (0, 1].");
        }

        if (Permutations < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Permutations), Permutations, "Permutations must be non-negative.");
        }

        if (Confidence is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Confidence), Confidence, "Confidence must be in (0, 1).");
        }
    }
}

/// <summary>Outcome of a classifier two-sample test.</summary>
/// <param name="Auc">AUC of the pooled out-of-fold scores (generated = positive class); 0.5 = indistinguishable.</param>
/// <param name="CiLow">Lower end of the DeLong confidence interval of <paramref name="Auc"/> (clipped to [0, 1]).</param>
/// <param name="CiHigh">Upper end of that interval.</param>
/// <param name="StandardError">DeLong standard error of <paramref name="Auc"/>.</param>
/// <param name="FoldAucs">AUC of each fold on its own held-out pieces.</param>
/// <param name="FoldMean">Mean of <paramref name="FoldAucs"/>.</param>
/// <param name="FoldStd">Sample standard deviation of <paramref name="FoldAucs"/>.</param>
/// <param name="RealCount">Real pieces.</param>
/// <param name="GeneratedCount">Generated pieces.</param>
/// <param name="Permutations">Label permutations run.</param>
/// <param name="PValue">Permutation p-value <c>(1 + #{AUC_perm &gt;= AUC}) / (1 + permutations)</c>; null without permutations.</param>
/// <param name="Confidence">Confidence level of the interval.</param>
/// <param name="FeatureGains">
/// Share of the trees' split gain per feature (index = position in the feature vector), summed over the fold
/// models and normalised to sum 1: which features told the sets apart.
/// </param>
public sealed record C2stResult(
    double Auc,
    double CiLow,
    double CiHigh,
    double StandardError,
    IReadOnlyList<double> FoldAucs,
    double FoldMean,
    double FoldStd,
    int RealCount,
    int GeneratedCount,
    int Permutations,
    double? PValue,
    double Confidence,
    IReadOnlyList<double> FeatureGains);

/// <summary>
/// Classifier two-sample test (Lopez-Paz and Oquab, ICLR 2017): a boosted-tree classifier (ML.NET FastTree,
/// one thread, so results are deterministic) learns to tell generated from real pieces by their feature vectors;
/// its k-fold cross-validated AUC measures how distinguishable the sets are (0.5 = not at all, 1 = fully).
/// </summary>
public static class ClassifierTwoSampleTest
{
    /// <summary>Runs the test on per-piece feature vectors (all of one length; NaN is replaced by -1).</summary>
    /// <exception cref="ArgumentException">Too few pieces in a class for the folds, or vectors of different lengths.</exception>
    public static C2stResult Run(IReadOnlyList<float[]> real, IReadOnlyList<float[]> generated, C2stOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(real);
        ArgumentNullException.ThrowIfNull(generated);
        options ??= new C2stOptions();
        options.Validate();
        if (real.Count < options.Folds || generated.Count < options.Folds)
        {
            throw new ArgumentException($"{options.Folds}-fold cross-validation needs at least {options.Folds} pieces per set; got {real.Count} real and {generated.Count} generated.");
        }

        int dim = real[0].Length;
        if (dim == 0 || real.Concat(generated).Any(v => v.Length != dim))
        {
            throw new ArgumentException($"Every feature vector must have the same non-zero length ({dim}).");
        }

        var features = real.Concat(generated).Select(Clean).ToArray();
        var labels = Enumerable.Range(0, features.Length).Select(i => i >= real.Count).ToArray();
        var ml = new MLContext(options.Seed);
        var folds = StratifiedFolds(labels, options.Folds, new Random(options.Seed));

        var gains = new double[dim];
        var scores = CrossValidatedScores(ml, features, labels, folds, options, gains, cancellationToken);
        var (auc, variance) = PooledAuc(scores, labels);
        var foldAucs = new double[options.Folds];
        for (int f = 0; f < options.Folds; f++)
        {
            var idx = Enumerable.Range(0, labels.Length).Where(i => folds[i] == f).ToArray();
            foldAucs[f] = RocAuc.Auc(idx.Where(i => labels[i]).Select(i => scores[i]).ToArray(), idx.Where(i => !labels[i]).Select(i => scores[i]).ToArray());
        }

        double? p = null;
        if (options.Permutations > 0)
        {
            var rng = new Random(unchecked(options.Seed * 7919 + 1));
            int atLeast = 0;
            for (int k = 0; k < options.Permutations; k++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var shuffled = (bool[])labels.Clone();
                rng.Shuffle(shuffled);
                var permFolds = StratifiedFolds(shuffled, options.Folds, rng);
                var permScores = CrossValidatedScores(ml, features, shuffled, permFolds, options, null, cancellationToken);
                if (PooledAuc(permScores, shuffled).Auc >= auc)
                {
                    atLeast++;
                }
            }

            p = (1.0 + atLeast) / (1.0 + options.Permutations);
        }

        double se = Math.Sqrt(Math.Max(variance, 0));
        double z = Numerics.NormalQuantile(0.5 + (options.Confidence / 2));
        double mean = foldAucs.Average();
        double std = Math.Sqrt(foldAucs.Sum(a => (a - mean) * (a - mean)) / (foldAucs.Length - 1));
        double totalGain = gains.Sum();
        if (totalGain > 0)
        {
            for (int i = 0; i < gains.Length; i++)
            {
                gains[i] /= totalGain;
            }
        }

        return new C2stResult(auc, Math.Max(0, auc - (z * se)), Math.Min(1, auc + (z * se)), se, foldAucs, mean, std,
            real.Count, generated.Count, options.Permutations, p, options.Confidence, gains);
    }

    /// <summary>The <paramref name="count"/> features with the largest gain share (share &gt; 0), largest first.</summary>
    public static IReadOnlyList<(string Name, double Share)> TopFeatures(C2stResult result, IReadOnlyList<string> names, int count = 8)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(names);
        return result.FeatureGains
            .Select((g, i) => (Name: i < names.Count ? names[i] : $"f{i}", Share: g))
            .Where(f => f.Share > 0)
            .OrderByDescending(f => f.Share)
            .ThenBy(f => f.Name, StringComparer.Ordinal)
            .Take(count)
            .ToArray();
    }

    /// <summary>Assigns each example a fold so that both classes are spread evenly over the folds (shuffled by <paramref name="rng"/>).</summary>
    internal static int[] StratifiedFolds(bool[] labels, int folds, Random rng)
    {
        var fold = new int[labels.Length];
        foreach (bool cls in new[] { false, true })
        {
            var idx = Enumerable.Range(0, labels.Length).Where(i => labels[i] == cls).ToArray();
            rng.Shuffle(idx);
            for (int k = 0; k < idx.Length; k++)
            {
                fold[idx[k]] = k % folds;
            }
        }

        return fold;
    }

    private static (double Auc, double Variance) PooledAuc(double[] scores, bool[] labels) =>
        RocAuc.Compute(
            Enumerable.Range(0, labels.Length).Where(i => labels[i]).Select(i => scores[i]).ToArray(),
            Enumerable.Range(0, labels.Length).Where(i => !labels[i]).Select(i => scores[i]).ToArray());

    private static double[] CrossValidatedScores(MLContext ml, float[][] features, bool[] labels, int[] folds, C2stOptions options, double[]? gains, CancellationToken cancellationToken)
    {
        int dim = features[0].Length;
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dim);
        var scores = new double[labels.Length];
        for (int f = 0; f < options.Folds; f++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var train = new List<Row>();
            var testIdx = new List<int>();
            for (int i = 0; i < labels.Length; i++)
            {
                if (folds[i] == f)
                {
                    testIdx.Add(i);
                }
                else
                {
                    train.Add(new Row { Label = labels[i], Features = features[i] });
                }
            }

            var trainer = ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
            {
                NumberOfThreads = 1,
                NumberOfTrees = options.Trees,
                NumberOfLeaves = options.Leaves,
                LearningRate = options.LearningRate,
                MinimumExampleCountPerLeaf = Math.Clamp(train.Count / 20, 1, 10),
                Seed = options.Seed,
                FeatureFraction = 1.0,
            });
            var model = trainer.Fit(ml.Data.LoadFromEnumerable(train, schema));
            if (gains is not null)
            {
                VBuffer<float> weights = default;
                model.Model.SubModel.GetFeatureWeights(ref weights);
                foreach (var (index, value) in weights.Items())
                {
                    gains[index] += value;
                }
            }

            var test = testIdx.Select(i => new Row { Label = labels[i], Features = features[i] }).ToList();
            var predictions = model.Transform(ml.Data.LoadFromEnumerable(test, schema));
            var predicted = predictions.GetColumn<float>("Score").ToArray();
            for (int k = 0; k < testIdx.Count; k++)
            {
                scores[testIdx[k]] = predicted[k];
            }
        }

        return scores;
    }

    private static float[] Clean(float[] v) => v.Select(x => float.IsFinite(x) ? x : -1f).ToArray();

    private sealed class Row
    {
        public bool Label { get; set; }

        public float[] Features { get; set; } = [];
    }
}
