using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using MusicGen.Training.Models;
using MusicGen.Training.Training;
using Spectre.Console;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace MusicGen.Training.Commands;

/// <summary>
/// <c>musicgen-train bench</c>: training throughput (tokens/s: forward, loss, backward, clipping, AdamW) of our
/// transformer against TorchSharp's stock <c>nn.TransformerEncoder</c> of about the same size, in one process,
/// alternating rounds so that both see the same machine load.
/// </summary>
public static class BenchCommands
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The <c>bench</c> command.</summary>
    public static Command Create()
    {
        var dModel = new Option<int>("--d-model") { DefaultValueFactory = _ => 256, Description = "Model width." };
        var layers = new Option<int>("--layers") { DefaultValueFactory = _ => 4, Description = "Layers." };
        var heads = new Option<int>("--heads") { DefaultValueFactory = _ => 4, Description = "Attention heads." };
        var kvHeads = new Option<int>("--kv-heads") { DefaultValueFactory = _ => 0, Description = "Our KV heads (0 = heads)." };
        var ffn = new Option<int>("--ffn") { DefaultValueFactory = _ => 688, Description = "Our SwiGLU hidden size (3 matrices)." };
        var stockFfn = new Option<int>("--stock-ffn") { DefaultValueFactory = _ => 1024, Description = "Stock encoder feed-forward size (2 matrices)." };
        var vocab = new Option<int>("--vocab") { DefaultValueFactory = _ => 320, Description = "Vocabulary size." };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 16, Description = "Batch size." };
        var seq = new Option<int>("--seq") { DefaultValueFactory = _ => 256, Description = "Sequence length." };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 5, Description = "Timed steps per round." };
        var rounds = new Option<int>("--rounds") { DefaultValueFactory = _ => 3, Description = "Alternating rounds (median reported)." };
        var dropout = new Option<double>("--dropout") { DefaultValueFactory = _ => 0.1, Description = "Dropout of both models." };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 0, Description = "TorchSharp threads (0 = default)." };
        var compareThreads = new Option<string?>("--compare-threads")
        {
            Description = "A,B: instead of ours vs stock, time our transformer with A TorchSharp threads against B threads (two copies, alternating rounds).",
        };
        var cmd = new Command("bench", "Training tokens/s of our transformer vs TorchSharp's nn.TransformerEncoder of the same size.")
        {
            dModel, layers, heads, kvHeads, ffn, stockFfn, vocab, batch, seq, steps, rounds, dropout, threads, compareThreads,
        };
        cmd.SetAction(parse => TrainCommands.Guard(() =>
        {
            if (parse.GetValue(threads) is > 0 and var t) set_num_threads(t);
            int d = parse.GetValue(dModel), l = parse.GetValue(layers), h = parse.GetValue(heads), v = parse.GetValue(vocab);
            int b = parse.GetValue(batch), s = parse.GetValue(seq), n = parse.GetValue(steps), r = parse.GetValue(rounds);
            var p = parse.GetValue(dropout);
            TransformerMusicModel Ours()
            {
                manual_seed(1);
                return new TransformerMusicModel(new TransformerConfig
                {
                    VocabSize = v, DModel = d, Layers = l, Heads = h, KvHeads = parse.GetValue(kvHeads), FfnHidden = parse.GetValue(ffn),
                    ContextLength = s, Dropout = p,
                });
            }
            Runner[] runners;
            if (parse.GetValue(compareThreads) is { } pair)
            {
                var counts = pair.Split(',').Select(x => int.TryParse(x, NumberStyles.None, Inv, out var c) && c > 0 ? c : 0).ToArray();
                if (counts is not [> 0, > 0]) throw new ArgumentException($"--compare-threads takes two positive thread counts, e.g. 1,2 (got '{pair}').");
                runners = [.. counts.Select(c => { var m = Ours(); return new Runner($"ours, {c} thread(s)", m, m.named_parameters().Select(x => (x.name, x.parameter)), c); })];
            }
            else
            {
                var ours = Ours();
                var stock = new StockEncoderLm(v, d, h, parse.GetValue(stockFfn), l, s, p);
                runners =
                [
                    new Runner("ours (pre-norm RMSNorm, rotary, SwiGLU, SDPA)", ours, ours.named_parameters().Select(x => (x.name, x.parameter))),
                    new Runner("stock nn.TransformerEncoder (+ learned positions)", stock, stock.named_parameters().Select(x => (x.name, x.parameter))),
                ];
            }
            AnsiConsole.MarkupLineInterpolated($"batch {b} x {s}, vocabulary {v}, {get_num_threads()} threads, {n} steps per round, {r} rounds (after 1 warm-up step each)");
            var gen = new Generator(5);
            using var ids = randint(0, v, [b, s + 1], dtype: ScalarType.Int64, generator: gen);
            foreach (var runner in runners)
            {
                if (runner.Threads > 0) set_num_threads(runner.Threads);
                runner.Step(ids, v); // warm-up
            }
            for (var round = 0; round < r; round++)
                foreach (var runner in runners)
                {
                    if (runner.Threads > 0) set_num_threads(runner.Threads);
                    var proc = Process.GetCurrentProcess();
                    var cpu0 = proc.TotalProcessorTime;
                    var sw = Stopwatch.StartNew();
                    for (var i = 0; i < n; i++) runner.Step(ids, v);
                    var wall = sw.Elapsed.TotalSeconds;
                    proc.Refresh();
                    var cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds;
                    runner.Rates.Add(b * (double)s * n / wall);
                    runner.CpuRates.Add(b * (double)s * n / cpu);
                }
            static double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
            var table = new Table().AddColumns("model", "parameters", "tokens/s (median)", "per round", "tokens per CPU-second (median)");
            foreach (var runner in runners)
            {
                table.AddRow(runner.Name, runner.Module.parameters().Sum(x => x.numel()).ToString("N0", Inv),
                    Median(runner.Rates).ToString("N0", Inv), string.Join(" ", runner.Rates.Select(x => x.ToString("N0", Inv))),
                    Median(runner.CpuRates).ToString("N0", Inv));
            }
            AnsiConsole.Write(table);
            var pairs = runners[0].Rates.Zip(runners[1].Rates, (a, c) => a / c).ToList();
            Console.WriteLine(string.Create(Inv,
                $"{(runners[0].Threads > 0 ? "first / second" : "ours / stock")}: wall tokens/s {Median(runners[0].Rates) / Median(runners[1].Rates):F2} (per-round ratios {string.Join(" ", pairs.Select(x => x.ToString("F2", Inv)))}), " +
                $"tokens per CPU-second {Median(runners[0].CpuRates) / Median(runners[1].CpuRates):F2}"));
            Console.WriteLine("(CPU-seconds count this process's threads only, so they are the fairer measure on a shared machine.)");
            foreach (var runner in runners)
            {
                runner.Dispose();
                runner.Module.Dispose();
            }
            return 0;
        }));
        return cmd;
    }

    private sealed class Runner(string name, nn.Module<Tensor, Tensor> module, IEnumerable<(string, Parameter)> parameters, int threads = 0) : IDisposable
    {
        public int Threads { get; } = threads;
        private readonly MusicGen.Training.Training.AdamW optimizer = new(parameters, 0.9, 0.95, 1e-8, 0.1);
        public string Name { get; } = name;
        public nn.Module<Tensor, Tensor> Module { get; } = module;
        public List<double> Rates { get; } = [];
        public List<double> CpuRates { get; } = [];

        public void Step(Tensor ids, int vocab)
        {
            Module.train();
            using var scope = NewDisposeScope();
            var s = ids.shape[1] - 1;
            var logits = Module.call(ids.narrow(1, 0, s)).reshape(-1, vocab);
            var loss = F.cross_entropy(logits, ids.narrow(1, 1, s).reshape(-1), ignore_index: 0);
            optimizer.ZeroGrad();
            loss.backward();
            nn.utils.clip_grad_norm_(optimizer.Parameters, 1.0);
            optimizer.Step(1e-4);
            loss.item<float>();
        }

        public void Dispose() => optimizer.Dispose();
    }

    /// <summary>Token + learned position embeddings, stock post-norm ReLU encoder with a causal mask, linear head.</summary>
    private sealed class StockEncoderLm : nn.Module<Tensor, Tensor>
    {
        private readonly Embedding tok, pos;
        private readonly TransformerEncoder encoder;
        private readonly Linear head;
        private readonly Tensor mask;

        public StockEncoderLm(int vocab, int d, int heads, int ffn, int layers, int maxLen, double dropout) : base(nameof(StockEncoderLm))
        {
            tok = nn.Embedding(vocab, d);
            pos = nn.Embedding(maxLen, d);
            encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(d, heads, ffn, dropout), layers);
            head = nn.Linear(d, vocab);
            RegisterComponents();
            mask = triu(full(maxLen, maxLen, float.NegativeInfinity), 1).DetachFromDisposeScope();
        }

        public override Tensor forward(Tensor ids)
        {
            var t = ids.shape[1];
            var x = tok.call(ids) + pos.call(arange(t, dtype: ScalarType.Int64)).unsqueeze(0);
            var y = encoder.call(x.transpose(0, 1), mask.narrow(0, 0, t).narrow(1, 0, t));
            return head.call(y.transpose(0, 1));
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) mask.Dispose();
            base.Dispose(disposing);
        }
    }
}
