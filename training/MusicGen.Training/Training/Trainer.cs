using System.Diagnostics;
using System.Globalization;
using System.Text;
using MusicGen.Training.Data;
using MusicGen.Training.Models;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace MusicGen.Training.Training;

/// <summary>Progress after one optimizer step.</summary>
public readonly record struct StepProgress(int Step, int MaxSteps, double Loss, double LearningRate, double ElapsedSeconds);

/// <summary>What a finished (or paused) run reports.</summary>
public sealed record TrainingResult(int Steps, EvalRecord? Last, EvalRecord? Best, double WallSeconds, string? StopReason,
    string RunDirectory, string LastCheckpoint, string? BestCheckpoint);

/// <summary>
/// Trains a <see cref="TrainableMusicModel"/> on <see cref="TrainingData"/>: AdamW, warm-up + cosine, gradient clipping,
/// optional label smoothing, PAD ignored in the loss, periodic evaluation (loss, accuracy, perplexity, tokens/s),
/// early stopping, <c>last.ckpt</c> every N steps and <c>best.ckpt</c> at each better valid loss, exact resume
/// (weights, optimizer moments, step, data position, dropout RNG), fine-tuning with frozen weights, and an optional
/// exponential moving average of the weights (<see cref="WeightAverage"/>) that is evaluated, kept and exported.
/// Data order: epoch e visits the training windows in a permutation seeded by (seed, e).
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly TrainConfig config;
    private readonly TrainerOptions o;
    private readonly TrainingData data;
    private readonly TrainableMusicModel model;
    private readonly AdamW optimizer;
    private readonly WeightAverage? average;
    private readonly CheckpointMeta state;
    private readonly long[] batchBuffer;
    private int[]? permutation;
    private int permutationEpoch = -1;
    private readonly List<string> startupMessages = [];

    /// <summary>What setting up the run did (fine-tune source, frozen weights).</summary>
    public IReadOnlyList<string> StartupMessages => startupMessages;

    /// <summary>Run folder.</summary>
    public string RunDirectory { get; }

    /// <summary>The model being trained.</summary>
    public TrainableMusicModel Model => model;

    /// <summary>State so far (step, history, best).</summary>
    public CheckpointMeta State => state;

    /// <summary>Called after every optimizer step.</summary>
    public Action<StepProgress>? OnStep { get; set; }

    /// <summary>Called after every evaluation.</summary>
    public Action<EvalRecord>? OnEval { get; set; }

    /// <summary>Informational messages (fine-tune source, frozen weights, early stop).</summary>
    public Action<string>? OnMessage { get; set; }

    private Trainer(TrainConfig config, TrainingData data, CheckpointMeta? resume, Dictionary<string, (float[] Data, long[] Shape)>? resumeTensors)
    {
        this.config = config;
        o = config.Training;
        o.Validate();
        this.data = data;
        if (data.WindowLength != o.SeqLen + 1)
            throw new ArgumentException($"data windows hold {data.WindowLength} tokens, config seqLen {o.SeqLen} needs {o.SeqLen + 1}");
        RunDirectory = config.Out ?? throw new ArgumentException("config has no output folder");
        Directory.CreateDirectory(RunDirectory);
        if (o.Threads > 0) set_num_threads(o.Threads);
        config.Model.Complete(data.VocabSize);
        var vocab = config.Model.Architecture == "lstm" ? config.Model.Lstm!.VocabSize : config.Model.Transformer!.VocabSize;
        if (vocab != data.VocabSize) throw new ArgumentException($"model vocabSize {vocab} differs from the data's {data.VocabSize}");

        manual_seed(o.Seed);
        model = config.Model.Build();
        if (resume is null && o.InitFrom is not null)
        {
            startupMessages.Add(InitialWeights.Load(model, o.InitFrom, data.TokenizerJson));
        }
        var frozen = 0;
        foreach (var (name, p) in model.named_parameters())
            if (o.Freeze.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)))
            {
                p.requires_grad_(false);
                frozen++;
            }
        if (o.Freeze.Count > 0 && frozen == 0) throw new ArgumentException($"freeze prefixes [{string.Join(", ", o.Freeze)}] match no weight");
        if (frozen > 0) startupMessages.Add($"{frozen} weight tensors frozen ({string.Join(", ", o.Freeze)})");
        model.train();
        optimizer = new AdamW(model.named_parameters().Select(np => (np.name, np.parameter)), o.Beta1, o.Beta2, o.Epsilon, o.WeightDecay);
        batchBuffer = new long[o.BatchSize * data.WindowLength];

        state = resume ?? new CheckpointMeta();
        state.Model = config.Model;
        state.Config = config;
        state.Tokenizer = data.TokenizerJson;
        state.Data = data.Description;
        if (resume is not null)
        {
            Checkpoint.LoadWeights(model, resumeTensors!, "resume checkpoint");
            foreach (var name in optimizer.Names)
            {
                if (!resumeTensors!.TryGetValue("adam.m/" + name, out var m) || !resumeTensors.TryGetValue("adam.v/" + name, out var v))
                    throw new InvalidDataException($"resume checkpoint has no optimizer state for {name}");
                using var mt = tensor(m.Data, m.Shape);
                using var vt = tensor(v.Data, v.Shape);
                optimizer.Load(name, mt, vt);
            }
            optimizer.StepCount = resume.Step;
            if (resume.RngState is not null)
            {
                using var rng = tensor(Convert.FromBase64String(resume.RngState), dtype: ScalarType.Byte);
                set_rng_state(rng);
            }
        }

        if (o.EmaDecay > 0)
        {
            // Starts at the weights the run starts from (seeded, initFrom or resumed), or at the resumed average.
            average = new WeightAverage(model, o.EmaDecay);
            if (resume is not null && !average.Load(resumeTensors!, "resume checkpoint"))
                startupMessages.Add($"EMA of the weights (decay {o.EmaDecay}) starts at the resumed step {resume.Step}: the checkpoint has none");
        }
    }

    /// <summary>A fresh run (weights seeded, or copied from <c>initFrom</c>).</summary>
    public static Trainer Create(TrainConfig config, TrainingData data) => new(config, data, null, null);

    /// <summary>
    /// Continues the run saved in <paramref name="checkpointPath"/> with the same data. The saved config is used, except
    /// that <paramref name="maxSteps"/> / <paramref name="maxMinutes"/> may extend the budget, <paramref name="output"/>
    /// may send the continued run to another folder (the original run's checkpoints are then left as they are) and
    /// <paramref name="emaDecay"/> may set the weight average (started at the resumed weights when the checkpoint has none).
    /// </summary>
    public static Trainer Resume(string checkpointPath, TrainingData data, int? maxSteps = null, double? maxMinutes = null, string? output = null,
        double? emaDecay = null)
    {
        var (meta, tensors) = Checkpoint.Read(checkpointPath);
        var cfg = meta.Config ?? throw new InvalidDataException($"{checkpointPath} holds no training config (not a training checkpoint)");
        if (maxSteps is { } s) cfg.Training.MaxSteps = s;
        if (maxMinutes is { } m) cfg.Training.MaxMinutes = m;
        if (emaDecay is { } e) cfg.Training.EmaDecay = e;
        if (output is not null) cfg.Out = Path.GetFullPath(output);
        cfg.Out ??= Path.GetDirectoryName(Path.GetFullPath(checkpointPath));
        meta.Finished = false;
        meta.StopReason = null;
        return new Trainer(cfg, data, meta, tensors);
    }

    /// <summary>Path of the rolling checkpoint.</summary>
    public string LastCheckpointPath => Path.Combine(RunDirectory, "last.ckpt");

    /// <summary>Path of the best-valid-loss checkpoint.</summary>
    public string BestCheckpointPath => Path.Combine(RunDirectory, "best.ckpt");

    /// <summary>
    /// Trains until max steps, the time budget, early stopping or cancellation; with <paramref name="pauseAtStep"/>
    /// it saves <c>last.ckpt</c> at that step and returns without finishing (resume continues exactly).
    /// </summary>
    public TrainingResult Run(int? pauseAtStep = null, CancellationToken cancellationToken = default)
    {
        var wall = Stopwatch.StartNew();
        var startElapsed = state.ElapsedSeconds;
        var sinceEval = Stopwatch.StartNew();
        long tokensSinceEval = 0;
        string? stop = null;
        var interrupted = false;
        while (true)
        {
            if (state.Step >= o.MaxSteps) { stop = "max steps"; break; }
            if (pauseAtStep is { } p && state.Step >= p) { interrupted = true; break; }
            if (cancellationToken.IsCancellationRequested) { stop = "cancelled"; interrupted = true; break; }
            if (o.MaxMinutes > 0 && startElapsed + wall.Elapsed.TotalSeconds >= o.MaxMinutes * 60) { stop = "time budget"; break; }

            var lr = LearningRateSchedule.At(state.Step, o);
            double loss;
            using (var scope = NewDisposeScope())
            {
                var batch = NextBatch();
                var x = batch.narrow(1, 0, o.SeqLen);
                var y = batch.narrow(1, 1, o.SeqLen).reshape(-1);
                var logits = model.call(x).reshape(-1, data.VocabSize);
                var lossT = F.cross_entropy(logits, y, ignore_index: data.Pad, label_smoothing: o.LabelSmoothing);
                optimizer.ZeroGrad();
                lossT.backward();
                if (o.GradClip > 0) nn.utils.clip_grad_norm_(optimizer.Parameters, o.GradClip);
                optimizer.Step(lr);
                average?.Update();
                using (no_grad())
                {
                    var mask = y.ne(data.Pad);
                    var targets = mask.sum().item<long>();
                    var correct = logits.argmax(-1).eq(y).logical_and_(mask).sum().item<long>();
                    loss = lossT.item<float>();
                    state.RunningLoss += loss;
                    state.RunningCorrect += correct;
                    state.RunningTargets += targets;
                    state.RunningSteps++;
                }
                tokensSinceEval += o.BatchSize * (long)o.SeqLen;
            }
            state.Step++;
            OnStep?.Invoke(new StepProgress(state.Step, o.MaxSteps, loss, lr, startElapsed + wall.Elapsed.TotalSeconds));

            var last = state.Step >= o.MaxSteps;
            if (state.Step % o.EvalEvery == 0 || last)
            {
                var rec = Evaluate(lr, tokensSinceEval / Math.Max(1e-9, sinceEval.Elapsed.TotalSeconds), startElapsed + wall.Elapsed.TotalSeconds);
                tokensSinceEval = 0;
                if (rec.ValidLoss < state.BestValidLoss || data.ValidCount == 0)
                {
                    state.BestValidLoss = rec.ValidLoss;
                    state.BestStep = rec.Step;
                    state.EvalsWithoutImprovement = 0;
                    Save(BestCheckpointPath, wall, startElapsed);
                }
                else state.EvalsWithoutImprovement++;
                WriteCsv();
                sinceEval.Restart();
                if (o.Patience > 0 && state.EvalsWithoutImprovement >= o.Patience)
                {
                    stop = $"early stop: no better valid loss in {o.Patience} evaluations (best {state.BestValidLoss:F4} at step {state.BestStep})";
                    OnMessage?.Invoke(stop);
                    break;
                }
            }
            if (o.CheckpointEvery > 0 && state.Step % o.CheckpointEvery == 0) Save(LastCheckpointPath, wall, startElapsed);
        }

        if (!interrupted)
        {
            // A run cut short by the time budget still ends with an evaluation of its last weights.
            if (state.History.Count == 0 || state.History[^1].Step != state.Step)
            {
                var rec = Evaluate(LearningRateSchedule.At(Math.Max(0, state.Step - 1), o),
                    tokensSinceEval / Math.Max(1e-9, sinceEval.Elapsed.TotalSeconds), startElapsed + wall.Elapsed.TotalSeconds);
                if (rec.ValidLoss < state.BestValidLoss)
                {
                    state.BestValidLoss = rec.ValidLoss;
                    state.BestStep = rec.Step;
                    Save(BestCheckpointPath, wall, startElapsed);
                }
                WriteCsv();
            }
            state.Finished = true;
            state.StopReason = stop;
        }
        Save(LastCheckpointPath, wall, startElapsed);
        if (!interrupted) CurvePlot.Write(state.History, RunDirectory, config.Name);
        var best = state.History.Where(h => h.Step == state.BestStep).LastOrDefault();
        return new TrainingResult(state.Step, state.History.LastOrDefault(), best, startElapsed + wall.Elapsed.TotalSeconds, stop,
            RunDirectory, LastCheckpointPath, File.Exists(BestCheckpointPath) ? BestCheckpointPath : null);
    }

    private void Save(string path, Stopwatch wall, double startElapsed)
    {
        state.ElapsedSeconds = startElapsed + wall.Elapsed.TotalSeconds;
        using (var rng = get_rng_state()) state.RngState = Convert.ToBase64String(rng.data<byte>().ToArray());
        Checkpoint.Save(path, state, model, optimizer, average);
    }

    private Tensor NextBatch()
    {
        var n = data.TrainCount;
        var b = Math.Min(o.BatchSize, n);
        if (state.EpochPosition + b > n)
        {
            state.Epoch++;
            state.EpochPosition = 0;
        }
        if (permutationEpoch != state.Epoch)
        {
            permutation = Enumerable.Range(0, n).ToArray();
            new Random(unchecked((int)(o.Seed * 1000003L + state.Epoch * 7919L))).Shuffle(permutation);
            permutationEpoch = state.Epoch;
        }
        var len = data.WindowLength;
        for (var i = 0; i < b; i++)
        {
            var row = permutation![state.EpochPosition + i];
            var src = data.Train.AsSpan(row * len, len);
            var dst = batchBuffer.AsSpan(i * len, len);
            for (var j = 0; j < len; j++) dst[j] = src[j];
        }
        state.EpochPosition += b;
        return tensor(batchBuffer.AsSpan(0, b * len).ToArray(), [b, len]);
    }

    /// <summary>
    /// Valid loss (plain cross-entropy, PAD ignored) and accuracy of the live weights, or with <paramref name="averaged"/>
    /// of the EMA weights when the run keeps them.
    /// </summary>
    public (double Loss, double Accuracy, long Targets) EvaluateValid(bool averaged = false)
    {
        using var swap = averaged ? average?.Swap() : null;
        var rows = data.ValidCount;
        if (rows == 0) return (double.NaN, double.NaN, 0);
        var len = data.WindowLength;
        var maxRows = o.EvalBatches > 0 ? Math.Min(rows, o.EvalBatches * o.BatchSize) : rows;
        double lossSum = 0;
        long correct = 0, targets = 0;
        model.eval();
        try
        {
            using var _ = no_grad();
            for (var start = 0; start < maxRows; start += o.BatchSize)
            {
                using var scope = NewDisposeScope();
                var b = Math.Min(o.BatchSize, maxRows - start);
                var buf = new long[b * len];
                for (var i = 0; i < buf.Length; i++) buf[i] = data.Valid[start * len + i];
                var batch = tensor(buf, [b, len]);
                var y = batch.narrow(1, 1, o.SeqLen).reshape(-1);
                var logits = model.call(batch.narrow(1, 0, o.SeqLen)).reshape(-1, data.VocabSize);
                lossSum += F.cross_entropy(logits, y, ignore_index: data.Pad, reduction: nn.Reduction.Sum).item<float>();
                var mask = y.ne(data.Pad);
                targets += mask.sum().item<long>();
                correct += logits.argmax(-1).eq(y).logical_and_(mask).sum().item<long>();
            }
        }
        finally
        {
            model.train();
        }
        return targets == 0 ? (double.NaN, double.NaN, 0) : (lossSum / targets, (double)correct / targets, targets);
    }

    private EvalRecord Evaluate(double lr, double tokensPerSecond, double elapsed)
    {
        double? live = null;
        if (average is not null) live = EvaluateValid().Loss;
        var (loss, acc, _) = EvaluateValid(averaged: true);
        var trainLoss = state.RunningSteps > 0 ? state.RunningLoss / state.RunningSteps : double.NaN;
        var trainAcc = state.RunningTargets > 0 ? state.RunningCorrect / state.RunningTargets : double.NaN;
        state.RunningLoss = state.RunningCorrect = state.RunningTargets = 0;
        state.RunningSteps = 0;
        var rec = new EvalRecord(state.Step, state.Epoch, lr, trainLoss, trainAcc, loss, acc, Math.Exp(loss), tokensPerSecond, elapsed, live);
        state.History.Add(rec);
        OnEval?.Invoke(rec);
        return rec;
    }

    private void WriteCsv()
    {
        // valid_* are of the EMA weights when the run keeps them; valid_loss_live (then only) of the live weights.
        var withLive = state.History.Any(r => r.LiveValidLoss is not null);
        var sb = new StringBuilder("step,epoch,lr,train_loss,train_accuracy,valid_loss,valid_accuracy,valid_perplexity,tokens_per_s,elapsed_s");
        sb.Append(withLive ? ",valid_loss_live\n" : "\n");
        foreach (var r in state.History)
            sb.AppendLine(string.Join(',', new object?[] { r.Step, r.Epoch, r.LearningRate, r.TrainLoss, r.TrainAccuracy, r.ValidLoss,
                r.ValidAccuracy, r.ValidPerplexity, r.TokensPerSecond, r.ElapsedSeconds }.Concat(withLive ? [r.LiveValidLoss] : [])
                .Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))));
        File.WriteAllText(Path.Combine(RunDirectory, "metrics.csv"), sb.ToString());
    }

    /// <summary>Frees the model and optimizer state.</summary>
    public void Dispose()
    {
        optimizer.Dispose();
        average?.Dispose();
        model.Dispose();
    }
}
