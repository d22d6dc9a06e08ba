using MusicGen.Core.Corpus;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;
using MusicGen.Core.Tokenization;

namespace MusicGen.Core.Tests.Corpus;

public sealed class CorpusTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "musicgen-corpus-" + Guid.NewGuid().ToString("N"));

    public CorpusTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static Score Tune(int seed)
    {
        var rng = new Random(seed);
        var score = new Score { TicksPerQuarter = 480 };
        score.Tempos.Add(new TempoChange(0, 500_000));
        score.TimeSignatures.Add(new TimeSignature(0, 4, 4));
        var tr = new ScoreTrack { Program = rng.Next(0, 8) };
        for (var i = 0; i < 32; i++)
        {
            tr.Notes.Add(new Note(i * 240, (i * 240) + 240, 0, 55 + rng.Next(0, 24), 80));
        }

        score.Tracks.Add(tr);
        return score;
    }

    private string MakeFolder(int files, bool withCorrupt)
    {
        var dir = Path.Combine(_root, "midi");
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        for (var i = 0; i < files; i++)
        {
            MidiScore.Save(Tune(i), Path.Combine(dir, i % 2 == 0 ? "sub" : "", $"tune{i:00}.mid"));
        }

        if (withCorrupt)
        {
            File.WriteAllBytes(Path.Combine(dir, "broken.mid"), "MThd\0\0\0\u0006garbage"u8.ToArray());
            File.WriteAllText(Path.Combine(dir, "notes.txt"), "not a midi file and not listed");
        }

        return dir;
    }

    [Fact]
    public void Build_skips_and_lists_a_corrupt_file_and_reads_back()
    {
        var input = MakeFolder(10, withCorrupt: true);
        var output = Path.Combine(_root, "cache");
        var t = new RemiTokenizer();
        var progress = 0;
        var summary = CorpusBuilder.Build(new CorpusBuildOptions { Tokenizer = t, Input = input, Output = output, ValidFraction = 0.2, Seed = 7 }, (d, n) => Interlocked.Increment(ref progress));

        Assert.Equal(11, summary.Sources);
        Assert.Equal(1, summary.Skipped);
        Assert.Equal(11, progress);
        var corpus = TokenCorpus.Open(output);
        var skipped = Assert.Single(corpus.Index.Skipped);
        Assert.Equal("broken.mid", skipped.Source);
        Assert.False(string.IsNullOrWhiteSpace(skipped.Error));

        var train = corpus.Entries("train");
        var valid = corpus.Entries("valid");
        Assert.Equal(10, train.Count + valid.Count);
        Assert.InRange(valid.Count, 1, 2); // round(11 * 0.2) = 2 files, one of which may be the broken one
        Assert.Empty(train.Select(e => e.Source).Intersect(valid.Select(e => e.Source)));

        // Every document is exactly the tokenizer's encoding of its file.
        foreach (var split in new[] { "train", "valid" })
        {
            var docs = corpus.Documents(split);
            var entries = corpus.Entries(split);
            for (var i = 0; i < docs.Count; i++)
            {
                var expected = t.Encode(MidiScore.Load(Path.Combine(input, entries[i].Source)));
                Assert.Equal(expected, docs[i].ToArray());
            }
        }

        Assert.Equal(t.ToJson(), corpus.Tokenizer.ToJson());
        Assert.True(summary.TokensPerSecond > 0);
        Assert.Equal(corpus.Index.Documents.Sum(d => (long)d.Length), corpus.Tokens.Length);
    }

    [Fact]
    public void Split_is_by_file_seeded_and_independent_of_parallelism()
    {
        var input = MakeFolder(20, withCorrupt: false);
        var t = new RemiTokenizer();
        string Build(ulong seed, int threads)
        {
            var output = Path.Combine(_root, $"cache-{seed}-{threads}");
            CorpusBuilder.Build(new CorpusBuildOptions { Tokenizer = t, Input = input, Output = output, Seed = seed, Parallelism = threads, ValidFraction = 0.25 });
            return output;
        }

        var a = Build(1, 1);
        var b = Build(1, 4);
        var c = Build(2, 2);
        Assert.Equal(File.ReadAllBytes(Path.Combine(a, CorpusBuilder.TokensFile)), File.ReadAllBytes(Path.Combine(b, CorpusBuilder.TokensFile)));
        var validA = TokenCorpus.Open(a).Entries("valid").Select(e => e.Source).ToList();
        var validC = TokenCorpus.Open(c).Entries("valid").Select(e => e.Source).ToList();
        Assert.Equal(5, validA.Count);
        Assert.Equal(validA, TokenCorpus.Open(b).Entries("valid").Select(e => e.Source).ToList());
        Assert.NotEqual(validA, validC);
    }

    [Fact]
    public void Augmentation_touches_only_the_train_split_and_stays_in_range()
    {
        var input = MakeFolder(8, withCorrupt: false);
        var output = Path.Combine(_root, "aug");
        var t = new RemiTokenizer();
        var aug = new AugmentationOptions { Copies = 3, TransposeMin = -3, TransposeMax = 3, PitchMin = 50, PitchMax = 84, StretchMin = 0.9, StretchMax = 1.1, VelocityJitter = 5 };
        CorpusBuilder.Build(new CorpusBuildOptions { Tokenizer = t, Input = input, Output = output, ValidFraction = 0.25, Augmentation = aug });
        var corpus = TokenCorpus.Open(output);
        Assert.All(corpus.Entries("valid"), e => Assert.Null(e.Augmentation));
        var train = corpus.Entries("train");
        Assert.Equal(6 * 4, train.Count);
        Assert.Equal(18, train.Count(e => e.Augmentation is not null));
        var docs = corpus.Documents("train");
        for (var i = 0; i < train.Count; i++)
        {
            var score = t.Decode(docs[i].Span);
            Assert.All(score.AllNotes, n => Assert.InRange(n.Pitch, 50, 84));
            if (train[i].Augmentation is not null)
            {
                Assert.Single(score.Tempos); // stretched tempo
                Assert.InRange(score.Tempos[0].BeatsPerMinute, 120 / 1.1 - 1, 120 / 0.9 + 1);
            }
        }

        // Same seed, same augmentation.
        var again = Path.Combine(_root, "aug2");
        CorpusBuilder.Build(new CorpusBuildOptions { Tokenizer = t, Input = input, Output = again, ValidFraction = 0.25, Augmentation = aug });
        Assert.Equal(File.ReadAllBytes(Path.Combine(output, CorpusBuilder.TokensFile)), File.ReadAllBytes(Path.Combine(again, CorpusBuilder.TokensFile)));
    }

    [Fact]
    public void Jsb_json_keeps_its_splits_and_frames()
    {
        var json = Path.Combine(_root, "jsb.json");
        File.WriteAllText(json, """{"train": [[[60, 64, 67], [62.0, 65], []], [[48, 72]]], "valid": [[[50, 53, 57, 62]]], "test": [[[-1, 60, 60]]]}""");
        var output = Path.Combine(_root, "jsb");
        var t = new ChoraleTokenizer();
        CorpusBuilder.Build(new CorpusBuildOptions { Tokenizer = t, Input = json, Output = output, Augmentation = new AugmentationOptions { Copies = 1 } });
        var corpus = TokenCorpus.Open(output);
        Assert.Equal(["train", "valid", "test"], corpus.Splits);
        Assert.Equal(4, corpus.Entries("train").Count); // two pieces, each with one transposed copy
        var first = t.DecodeFrames(corpus.Documents("train")[0].Span);
        Assert.Equal([[60, 64, 67], [62, 65], []], first.ToArray());
        Assert.Equal([[60]], t.DecodeFrames(corpus.Documents("test")[0].Span).ToArray());
        Assert.Throws<InvalidDataException>(() => JsbDataset.Parse("""{"train": [[[60.5]]]}"""));
    }

    [Fact]
    public void Open_reports_a_damaged_cache()
    {
        var input = MakeFolder(3, withCorrupt: false);
        var output = Path.Combine(_root, "cache");
        CorpusBuilder.Build(new CorpusBuildOptions { Tokenizer = new RemiTokenizer(), Input = input, Output = output, ValidFraction = 0 });
        var bin = Path.Combine(output, CorpusBuilder.TokensFile);
        File.WriteAllBytes(bin, File.ReadAllBytes(bin)[..^8]);
        var e = Assert.Throws<InvalidDataException>(() => TokenCorpus.Open(output));
        Assert.Contains("beyond", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => TokenCorpus.Open(Path.Combine(_root, "nothing")));
    }

    [Fact]
    public void Meter_map_rebars_files_before_tokenizing()
    {
        // Two tunes of 32 eighth notes (4 quarter-note bars... of 1/4 each: 16 bars), declared 1/4 like most POP909 files.
        var dir = Path.Combine(_root, "quarter");
        Directory.CreateDirectory(dir);
        for (var i = 0; i < 2; i++)
        {
            var score = Tune(i);
            score.TimeSignatures[0] = new TimeSignature(0, 1, 4);
            MidiScore.Save(score, Path.Combine(dir, $"q{i}.mid"));
        }

        var t = new RemiTokenizer();
        int[] Count(IReadOnlyDictionary<string, string>? map, string name)
        {
            var output = Path.Combine(_root, "cache-" + name);
            CorpusBuilder.Build(new CorpusBuildOptions { Tokenizer = t, Input = dir, Output = output, ValidFraction = 0, MeterMap = map });
            var tokens = TokenCorpus.Open(output).Documents("train").SelectMany(d => d.ToArray()).Select(t.TokenName).ToList();
            return [tokens.Count(n => n == "Bar"), tokens.Count(n => n == "TimeSig_1/4"), tokens.Count(n => n == "TimeSig_4/4")];
        }

        var asDeclared = Count(null, "plain");
        var rebarred = Count(new Dictionary<string, string> { ["1/4"] = "4/4" }, "rebarred");
        Assert.Equal(0, asDeclared[2]);
        Assert.True(asDeclared[1] > 0);
        Assert.Equal(0, rebarred[1]);
        Assert.True(rebarred[2] > 0);
        Assert.Equal(asDeclared[0], 4 * rebarred[0]);   // 16 one-beat bars per tune become 4 four-beat bars

        var bad = Assert.Throws<ArgumentException>(() => new CorpusBuildOptions
        {
            Tokenizer = t, Input = dir, Output = Path.Combine(_root, "x"), MeterMap = new Dictionary<string, string> { ["1/4"] = "4/3" },
        }.Validate());
        Assert.Contains("'4/3'", bad.Message);
    }

    [Fact]
    public void Track_programs_keep_a_named_track_apart_in_the_cache()
    {
        var dir = Path.Combine(_root, "named");
        Directory.CreateDirectory(dir);
        var score = Tune(0);
        var melody = score.Tracks[0];
        melody.Name = "MELODY";
        var piano = new ScoreTrack { Index = 1, Name = "PIANO", Program = melody.Program };
        piano.Notes.AddRange(melody.Notes.Select(n => n with { Pitch = n.Pitch - 12, Channel = 1 }));
        score.Tracks.Add(piano);
        MidiScore.Save(score, Path.Combine(dir, "a.mid"));

        var t = new RemiTokenizer();
        List<string> Tokens(IReadOnlyDictionary<string, int>? map, string name)
        {
            var output = Path.Combine(_root, "cache-" + name);
            CorpusBuilder.Build(new CorpusBuildOptions { Tokenizer = t, Input = dir, Output = output, ValidFraction = 0, TrackPrograms = map });
            return TokenCorpus.Open(output).Documents("train").SelectMany(d => d.ToArray()).Select(t.TokenName).ToList();
        }

        var merged = Tokens(null, "merged");
        var apart = Tokens(new Dictionary<string, int> { ["melody"] = 100 }, "apart");
        Assert.DoesNotContain("Program_100", merged);
        Assert.Contains("Program_100", apart);
        Assert.Equal(merged.Count(n => n.StartsWith("Pitch_", StringComparison.Ordinal)), apart.Count(n => n.StartsWith("Pitch_", StringComparison.Ordinal)));

        var bad = Assert.Throws<ArgumentException>(() => new CorpusBuildOptions
        {
            Tokenizer = t, Input = dir, Output = Path.Combine(_root, "x"), TrackPrograms = new Dictionary<string, int> { ["MELODY"] = 300 },
        }.Validate());
        Assert.Contains("program 300", bad.Message);
    }
}
