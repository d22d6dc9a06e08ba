using System.Text.Json.Nodes;
using MusicGen.Core.Corpus;
using MusicGen.Core.Tokenization;
using MusicGen.Training.Training;

namespace MusicGen.Training.Data;

/// <summary>Turns a config's data section into <see cref="TrainingData"/> (corpus cache, built when missing, or synthetic).</summary>
public static class CorpusData
{
    /// <summary>Loads (and if needed first builds) the data of <paramref name="config"/>.</summary>
    public static TrainingData Load(TrainConfig config, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        var d = config.Data;
        var o = config.Training;
        if (d.Synthetic is not null)
        {
            return d.RestateKey
                ? throw new ArgumentException("data config: 'restateKey' needs a corpus with key tokens, not synthetic data")
                : SyntheticCorpus.Load(d.Synthetic, o.SeqLen, o.EffectiveStride);
        }

        var cache = d.Cache ?? throw new ArgumentException("data config: 'cache' (corpus cache folder) is required");
        if (!File.Exists(Path.Combine(cache, CorpusBuilder.TokensFile)))
        {
            var input = d.Path ?? throw new ArgumentException($"data config: corpus cache {cache} is missing and no 'path' to build it from is given");
            var tokenizer = CreateTokenizer(d.Tokenizer);
            log?.Invoke($"building corpus cache {cache} from {input} with the {tokenizer.Kind} tokenizer");
            var summary = CorpusBuilder.Build(new CorpusBuildOptions
            {
                Tokenizer = tokenizer,
                Input = input,
                Output = cache,
                ValidFraction = d.ValidFraction,
                Seed = d.SplitSeed,
                MeterMap = d.MeterMap,
                TrackPrograms = d.TrackPrograms,
                NormalizeKey = d.NormalizeKey,
                Augmentation = d.Transpose > 0
                    ? new AugmentationOptions { Copies = d.AugmentCopies, TransposeMin = -d.Transpose, TransposeMax = d.Transpose }
                    : new AugmentationOptions(),
            }, cancellationToken: cancellationToken);
            log?.Invoke($"corpus: {summary.Documents} documents from {summary.Sources} sources ({summary.Skipped} skipped) in {summary.ElapsedSeconds:F1} s");
        }
        var corpus = TokenCorpus.Open(cache);
        var tok = corpus.Tokenizer;
        if (d.Tokenizer is JsonValue v && v.TryGetValue<string>(out var kind) && kind != tok.Kind)
            throw new InvalidDataException($"corpus cache {cache} was built with the {tok.Kind} tokenizer, the config asks for {kind}; remove the cache or fix the config");
        var lead = d.RestateKey
            ? WindowLead.ForKeys(tok) ?? throw new ArgumentException($"data config: 'restateKey' needs a tokenizer with key tokens; corpus cache {cache} has none")
            : null;
        var windows = new TokenWindows(o.SeqLen + 1, o.EffectiveStride, tok.Pad, WindowTail.Pad, truncate: d.OpeningsOnly) { Lead = lead };
        var train = windows.ToMatrix(corpus.Windows("train", windows));
        var valid = windows.ToMatrix(corpus.Windows("valid", windows));
        var trainTokens = corpus.Documents("train").Sum(m => (long)m.Length);
        var validTokens = corpus.Documents("valid").Sum(m => (long)m.Length);
        log?.Invoke($"data: {corpus.Documents("train").Count} train documents ({trainTokens:N0} tokens, {train.Length / (o.SeqLen + 1)} windows), " +
                    $"{corpus.Documents("valid").Count} valid ({validTokens:N0} tokens, {valid.Length / (o.SeqLen + 1)} windows), vocabulary {tok.VocabularySize}");
        return new TrainingData(tok.VocabularySize, tok.Pad, o.SeqLen + 1, train, valid, tok.ToJson(),
            $"{d.Path ?? cache} ({tok.Kind}{MeterText(d.MeterMap)}{ProgramText(d.TrackPrograms)}{(lead is null ? "" : "; key restated per window")}{(d.OpeningsOnly ? "; openings only" : "")}; cache {cache})");
    }

    private static string ProgramText(Dictionary<string, int>? map) =>
        map is { Count: > 0 } ? "; track programs " + string.Join(", ", map.Select(kv => $"{kv.Key} as {kv.Value}")) : "";

    private static string MeterText(Dictionary<string, string>? map) =>
        map is { Count: > 0 } ? "; meters " + string.Join(", ", map.Select(kv => $"{kv.Key} as {kv.Value}")) : "";

    /// <summary>A tokenizer from a kind name or a full JSON configuration.</summary>
    public static IMusicTokenizer CreateTokenizer(JsonNode? node) => node switch
    {
        null => throw new ArgumentException("data config: 'tokenizer' is required to build a corpus cache"),
        JsonValue v when v.TryGetValue<string>(out var kind) => TokenizerJson.CreateDefault(kind),
        JsonObject obj => TokenizerJson.FromJson(obj),
        _ => throw new ArgumentException("data config: 'tokenizer' must be a kind name or a tokenizer JSON object"),
    };
}
