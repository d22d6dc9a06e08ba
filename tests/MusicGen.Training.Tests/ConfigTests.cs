using MusicGen.Training.Data;
using MusicGen.Training.Training;

namespace MusicGen.Training.Tests;

public sealed class ConfigTests
{
    /// <summary>Every config under training/configs, with the architecture its name says (LSTM configs are named so).</summary>
    public static TheoryData<string, string> ShippedConfigs()
    {
        var data = new TheoryData<string, string>();
        var dir = Path.Combine(TrainerTests.RepoRoot(), "training", "configs");
        foreach (var file in Directory.GetFiles(dir, "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal))
        {
            data.Add(file!, file!.Contains("lstm", StringComparison.Ordinal) ? "lstm" : "transformer");
        }

        return data;
    }

    [Fact]
    public void The_shipped_configs_are_all_found()
    {
        var names = ShippedConfigs().Select(row => (string)row[0]).ToArray();
        Assert.True(names.Length >= 30, $"only {names.Length} configs found");
        Assert.Contains("pop909-transformer-transposed.json", names);
        Assert.Contains("nottingham-lstm.json", names);
    }

    [Theory]
    [MemberData(nameof(ShippedConfigs))]
    public void Shipped_configs_load_and_validate(string file, string architecture)
    {
        var root = TrainerTests.RepoRoot();
        var cfg = TrainConfig.Load(Path.Combine(root, "training", "configs", file));
        Assert.Equal(architecture, cfg.Model.Architecture);
        cfg.Training.Validate();
        cfg.Model.Complete(100);
        Assert.True(Path.IsPathRooted(cfg.Out));
        Assert.StartsWith(Path.Combine(root, "runs"), cfg.Out);
        if (cfg.Data.Synthetic is null)
        {
            Assert.NotNull(cfg.Data.Path);
            Assert.StartsWith(Path.Combine(root, "runs"), cfg.Data.Cache);
            CorpusData.CreateTokenizer(cfg.Data.Tokenizer); // the named tokenizer exists
        }
    }

    [Fact]
    public void Unknown_fields_and_bad_values_are_reported()
    {
        var dir = Directory.CreateTempSubdirectory("mgcfg").FullName;
        try
        {
            var p = Path.Combine(dir, "c.json");
            File.WriteAllText(p, """{ "name": "x", "training": { "learningRat": 0.1 } }""");
            var e = Assert.Throws<InvalidDataException>(() => TrainConfig.Load(p));
            Assert.Contains("learningRat", e.Message);
            File.WriteAllText(p, """{ "name": "x", "training": { "batchSize": 0 } }""");
            var cfg = TrainConfig.Load(p);
            Assert.Contains("batchSize", Assert.Throws<ArgumentException>(() => cfg.Training.Validate()).Message);
            File.WriteAllText(p, """{ "model": { "architecture": "gru" } }""");
            Assert.Contains("gru", Assert.Throws<ArgumentException>(() => TrainConfig.Load(p).Model.Complete(10)).Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Restated_keys_start_every_later_window_of_a_real_corpus_and_need_key_tokens()
    {
        var dir = Directory.CreateTempSubdirectory("mgkeys").FullName;
        try
        {
            var midi = Directory.CreateDirectory(Path.Combine(dir, "midi")).FullName;
            for (var f = 0; f < 4; f++)
            {
                var score = new MusicGen.Core.Music.Score { TicksPerQuarter = 96 };
                var track = new MusicGen.Core.Music.ScoreTrack();
                score.Tracks.Add(track);
                int[] scale = [0, 2, 4, 5, 7, 9, 11, 12];
                for (var i = 0; i < 64; i++) track.Notes.Add(new MusicGen.Core.Music.Note(i * 48, (i + 1) * 48, 0, 60 + (2 * f) + scale[i % 8], 80));
                File.WriteAllBytes(Path.Combine(midi, $"{f}.mid"), MusicGen.Core.Midi.MidiScore.ToBytes(score));
            }

            TrainConfig Config(string tokenizer, string cache)
            {
                var file = Path.Combine(dir, cache + ".json");
                File.WriteAllText(file, $$"""
                    { "name": "k", "data": { "path": "{{midi}}", "tokenizer": {{tokenizer}}, "cache": "{{Path.Combine(dir, cache)}}", "validFraction": 0.25, "restateKey": true },
                      "training": { "seqLen": 32, "stride": 32 } }
                    """);
                return TrainConfig.Load(file);
            }

            var data = CorpusData.Load(Config("""{ "kind": "remi", "version": 1, "keyTokens": true }""", "keys"));
            var tokenizer = MusicGen.Core.Tokenization.TokenizerJson.FromJson(data.TokenizerJson!);
            var keys = Enumerable.Range(0, data.TrainCount).Select(r => tokenizer.TokenName(data.Train[r * 33])).ToList();
            Assert.Contains("BOS", keys);                                            // a song's first window
            var later = keys.Where(k => k != "BOS").ToList();
            Assert.NotEmpty(later);
            Assert.All(later, k => Assert.StartsWith("Key_", k, StringComparison.Ordinal)); // every later one starts with its key
            Assert.Contains("key restated", data.Description, StringComparison.Ordinal);

            var plain = Assert.Throws<ArgumentException>(() => CorpusData.Load(Config("\"remi\"", "plain")));
            Assert.Contains("restateKey", plain.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Openings_only_keeps_each_songs_first_window_and_normalized_keys_reach_the_export_as_counts()
    {
        var dir = Directory.CreateTempSubdirectory("mgkeynorm").FullName;
        try
        {
            var midi = Directory.CreateDirectory(Path.Combine(dir, "midi")).FullName;
            int[] tonics = [0, 2, 2, 7, 9, 4, 2, 5];
            for (var f = 0; f < tonics.Length; f++)
            {
                var score = new MusicGen.Core.Music.Score { TicksPerQuarter = 96 };
                var track = new MusicGen.Core.Music.ScoreTrack();
                score.Tracks.Add(track);
                score.KeySignatures.Add(new MusicGen.Core.Music.KeySignature(0, new MusicGen.Core.Music.MusicalKey(tonics[f], false).SharpsFlats, false));
                int[] scale = [0, 2, 4, 5, 7, 9, 11, 12, 7, 4, 0];
                for (var i = 0; i < 96; i++) track.Notes.Add(new MusicGen.Core.Music.Note(i * 48, (i + 1) * 48, 0, 60 + tonics[f] + scale[i % scale.Length], 80));
                File.WriteAllBytes(Path.Combine(midi, $"{f}.mid"), MusicGen.Core.Midi.MidiScore.ToBytes(score));
            }

            var file = Path.Combine(dir, "c.json");
            File.WriteAllText(file, $$"""
                { "name": "o", "data": { "path": "{{midi}}", "tokenizer": "remi", "cache": "{{Path.Combine(dir, "cache")}}", "validFraction": 0.25, "normalizeKey": true, "openingsOnly": true },
                  "training": { "seqLen": 32, "stride": 32 } }
                """);
            var config = TrainConfig.Load(file);
            var data = CorpusData.Load(config);
            var tokenizer = MusicGen.Core.Tokenization.TokenizerJson.FromJson(data.TokenizerJson!);
            Assert.Equal(6, data.TrainCount);                 // one window per song though each is longer than 33 tokens
            Assert.All(Enumerable.Range(0, data.TrainCount), r => Assert.Equal("BOS", tokenizer.TokenName(data.Train[r * 33])));
            Assert.Contains("openings only", data.Description, StringComparison.Ordinal);

            var counts = MusicGen.Training.Export.ExportCommands.NormalizedKeys(config.Data)!;
            var train = MusicGen.Core.Corpus.TokenCorpus.Open(config.Data.Cache!).Entries("train");
            Assert.Equal(6, counts.Sum());
            foreach (var e in train) Assert.True(counts[tonics[int.Parse(Path.GetFileNameWithoutExtension(e.Source), System.Globalization.CultureInfo.InvariantCulture)]] > 0);

            config.Data.NormalizeKey = false;
            Assert.Null(MusicGen.Training.Export.ExportCommands.NormalizedKeys(config.Data));
            config.Data.NormalizeKey = true;
            config.Data.Cache = Path.Combine(dir, "gone");
            Assert.Contains("normalizedKeys", Assert.Throws<ArgumentException>(() => MusicGen.Training.Export.ExportCommands.NormalizedKeys(config.Data)).Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Sampling_defaults_are_checked_at_load_by_the_engines_rules()
    {
        var dir = Directory.CreateTempSubdirectory("mgcfg").FullName;
        try
        {
            var p = Path.Combine(dir, "c.json");
            File.WriteAllText(p, """{ "name": "x", "sampling": { "minP": 0.05, "topK": 40 } }""");
            Assert.Equal(new Dictionary<string, double> { ["minP"] = 0.05, ["topK"] = 40 }, TrainConfig.Load(p).Sampling);
            File.WriteAllText(p, """{ "name": "x", "sampling": { "topP": 1.5 } }""");
            var e = Assert.Throws<InvalidDataException>(() => TrainConfig.Load(p));
            Assert.Contains(p, e.Message, StringComparison.Ordinal);
            Assert.Contains("sampling.topP must be", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>
    /// Each bundled package's sampling block is the one its training config (named in the manifest's training command)
    /// declares, so re-running the documented train + export reproduces the package's defaults.
    /// </summary>
    [Fact]
    public void Bundled_configs_carry_their_packages_sampling_defaults()
    {
        var root = TrainerTests.RepoRoot();
        var compared = 0;
        foreach (var dir in Directory.GetDirectories(Path.Combine(root, "onnx")))
        {
            var manifest = MusicGen.Core.Packaging.ModelManifest.Load(dir);
            var name = System.Text.RegularExpressions.Regex.Match(manifest.Training?.Command ?? "", "\"name\":\"([^\"]+)\"").Groups[1].Value;
            var config = Path.Combine(root, "training", "configs", name + ".json");
            if (name.Length == 0 || !File.Exists(config)) continue;
            Assert.True(Equals(manifest.Sampling, TrainConfig.Load(config).Sampling),
                $"{Path.GetFileName(dir)}: package sampling {Show(manifest.Sampling)} but {name}.json has {Show(TrainConfig.Load(config).Sampling)}");
            compared++;
        }
        Assert.True(compared >= 3, $"only {compared} packages name a config in training/configs");

        static bool Equals(Dictionary<string, double>? a, Dictionary<string, double>? b) =>
            (a ?? []).Count == (b ?? []).Count && (a ?? []).All(kv => (b ?? []).TryGetValue(kv.Key, out var v) && v == kv.Value);
        static string Show(Dictionary<string, double>? d) => d is null ? "none" : string.Join(",", d.Select(kv => $"{kv.Key}={kv.Value}"));
    }

    [Fact]
    public void Windows_cover_documents_with_right_padding()
    {
        var docs = new List<ReadOnlyMemory<int>> { new[] { 5, 6, 7, 8, 9, 10, 11 }, new[] { 3, 4 } };
        var m = TrainingData.Cut(docs, seqLen: 3, stride: 2, pad: 0);
        // windows of 4: [5 6 7 8] [7 8 9 10] [9 10 11 0] [3 4 0 0]
        Assert.Equal(new[] { 5, 6, 7, 8, 7, 8, 9, 10, 9, 10, 11, 0, 3, 4, 0, 0 }, m);
    }
}

public sealed class ProvenanceTests
{
    [Fact]
    public void Provenance_paths_become_relative_to_the_repository_root()
    {
        // The tests run inside the checkout, so the repository root is found above the working directory.
        var root = Directory.GetCurrentDirectory();
        while (!File.Exists(Path.Combine(root, "MusicGen.sln"))) root = Path.GetDirectoryName(root)!;
        var parent = Path.GetDirectoryName(root)!;
        var text = $"{Path.Combine(parent, "shared", "datasets", "pop909")} (remi; cache {Path.Combine(root, "runs", "cache")}) {Path.Combine(root, "runs", "x", "best.ckpt")} /elsewhere/file";
        Assert.Equal("../shared/datasets/pop909 (remi; cache runs/cache) runs/x/best.ckpt /elsewhere/file",
            MusicGen.Training.Export.ExportCommands.RepoRelative(text));
    }
}
