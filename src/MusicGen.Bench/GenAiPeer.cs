using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace MusicGen.Bench;

/// <summary>
/// ONNX Runtime GenAI on a package's portable graph, through the package's genai_config.json. The configuration is
/// copied into a scratch folder (beside a link to the graph) with the same intra-op thread count as ours, so both
/// runtimes use the same cores. Not built in the GPU flavor (GenAI depends on the CPU ONNX Runtime package).
/// </summary>
internal sealed class GenAiPeer : IDisposable
{
    private readonly string _scratch;
    private readonly Model _model;

    public GenAiPeer(string packageDirectory, int intraOpThreads)
    {
        var configPath = Path.Combine(packageDirectory, "genai_config.json");
        if (!File.Exists(configPath))
            throw new ArgumentException($"{packageDirectory} has no genai_config.json (musicgen-train genai-config --package {packageDirectory} writes it).");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        var decoder = config["model"]!["decoder"]!.AsObject();
        var graph = (string)decoder["filename"]!;
        var session = decoder["session_options"]!.AsObject();
        session["intra_op_num_threads"] = intraOpThreads; // 0: ONNX Runtime's default (every core), as for ours
        session["inter_op_num_threads"] = 1;
        _scratch = Path.Combine(Path.GetTempPath(), "musicgen-genai-peer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_scratch);
        File.CreateSymbolicLink(Path.Combine(_scratch, graph), Path.GetFullPath(Path.Combine(packageDirectory, graph)));
        File.WriteAllText(Path.Combine(_scratch, "genai_config.json"), config.ToJsonString());
        _model = new Model(_scratch);
    }

    /// <summary>Greedy decode of exactly <paramref name="tokens"/> tokens after <paramref name="prompt"/> (EOS held back by min_length); seconds and the whole sequence.</summary>
    public (double Seconds, int[] Tokens) Decode(int[] prompt, int tokens)
    {
        var t0 = Stopwatch.GetTimestamp();
        using var options = new GeneratorParams(_model);
        options.SetSearchOption("do_sample", false);
        options.SetSearchOption("max_length", prompt.Length + tokens);
        options.SetSearchOption("min_length", prompt.Length + tokens);
        using var generator = new Generator(_model, options);
        generator.AppendTokens(prompt);
        while (!generator.IsDone()) generator.GenerateNextToken();
        var sequence = generator.GetSequence(0).ToArray();
        return (Stopwatch.GetElapsedTime(t0).TotalSeconds, sequence);
    }

    public void Dispose()
    {
        _model.Dispose();
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
