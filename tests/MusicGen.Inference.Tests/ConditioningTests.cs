using MusicGen.Core.Midi;
using MusicGen.Core.Tokenization;

namespace MusicGen.Inference.Tests;

public sealed class ConditioningTests
{
    private static string RemiPackage() => TestPackages.Transformer("remi", tokenizer: new RemiTokenizer(new RemiConfig { PositionsPerQuarter = 4 }));

    [Fact]
    public void Tempo_time_signature_and_program_become_forced_tokens_the_music_keeps()
    {
        using var model = MusicModel.Load(RemiPackage());
        using var batch = model.CreateBatch(1);
        var seq = model.CreateSequence(new GenerationRequest
        {
            MaxTokens = 200, Seed = 3, TempoBpm = 96, TimeSignature = "3/4", Program = 40,
            Sampling = new SamplingOptions { TokenBias = new Dictionary<int, float> { [model.Tokenizer.Eos] = float.NegativeInfinity } },
        });
        Assert.Equal(["BOS", "Bar", "TimeSig_3/4", "Position_0", "Tempo_96", "Program_40"],
            seq.Tokens.ToArray().Select(model.Tokenizer.TokenName));
        if (batch.Add(seq)) while (batch.Count > 0) batch.Step();
        var score = MidiScore.Read(seq.ToResult().Midi);
        Assert.Equal(96, score.Tempos[0].BeatsPerMinute, 0);
        Assert.Equal((3, 4), (score.TimeSignatures[0].Numerator, score.TimeSignatures[0].Denominator));
        Assert.Contains(score.Tracks, t => t.Program == 40 && t.Notes.Count > 0);
    }

    [Fact]
    public void A_forced_token_the_grammar_forbids_is_rejected_with_what_is_legal()
    {
        using var model = MusicModel.Load(RemiPackage());
        var e = Assert.ThrowsAny<ArgumentException>(() => model.CreateSequence(new GenerationRequest { PrefixTokens = ["Pitch_60"] }));
        Assert.Contains("Pitch_60", e.Message);
        Assert.Contains("legal next", e.Message);
    }

    [Fact]
    public void Conditioning_the_tokenizer_cannot_express_is_rejected()
    {
        using var model = MusicModel.Load(TestPackages.Transformer()); // chorale tokens: no tempo
        var e = Assert.ThrowsAny<ArgumentException>(() => model.CreateSequence(new GenerationRequest { TempoBpm = 120 }));
        Assert.Contains("chorale", e.Message);
    }

    [Fact]
    public void A_primer_is_rebarred_with_the_packages_meter_map_and_the_callers_score_is_untouched()
    {
        // A copy of the REMI package whose manifest says its training data had 1/4 rewritten as 4/4.
        var dir = Path.Combine(Path.GetTempPath(), "musicgen-meters-" + Guid.NewGuid().ToString("N"));
        TestPackages.CopyDirectory(RemiPackage(), dir);
        try
        {
            var manifestPath = Path.Combine(dir, "musicgen.json");
            var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
            manifest["meterMap"] = new System.Text.Json.Nodes.JsonObject { ["1/4"] = "4/4" };
            File.WriteAllText(manifestPath, manifest.ToJsonString());

            var primer = new MusicGen.Core.Music.Score { TicksPerQuarter = 480 };
            primer.TimeSignatures.Add(new MusicGen.Core.Music.TimeSignature(0, 1, 4));
            var track = new MusicGen.Core.Music.ScoreTrack();
            for (int i = 0; i < 8; i++) track.Notes.Add(new MusicGen.Core.Music.Note(i * 480, i * 480 + 240, 0, 60 + i, 80));
            primer.Tracks.Add(track);

            string[] PromptNames(string package)
            {
                using var model = MusicModel.Load(package);
                var seq = model.CreateSequence(new GenerationRequest { Primer = primer, MaxTokens = 4 });
                return [.. seq.Tokens.ToArray().Select(model.Tokenizer.TokenName)];
            }

            var plain = PromptNames(RemiPackage());
            var rebarred = PromptNames(dir);
            Assert.Contains("TimeSig_1/4", plain);
            Assert.Equal(8, plain.Count(n => n == "Bar"));
            Assert.DoesNotContain("TimeSig_1/4", rebarred);
            Assert.Contains("TimeSig_4/4", rebarred);
            Assert.Equal(2, rebarred.Count(n => n == "Bar"));
            Assert.Equal((1, 4), (primer.TimeSignatures[0].Numerator, primer.TimeSignatures[0].Denominator));

            manifest["meterMap"] = new System.Text.Json.Nodes.JsonObject { ["1/4"] = "4/5" };
            File.WriteAllText(manifestPath, manifest.ToJsonString());
            var e = Assert.Throws<MusicGen.Core.Packaging.ModelPackageException>(() => MusicModel.Load(dir));
            Assert.Contains("meterMap", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_primers_named_tracks_get_the_packages_track_programs()
    {
        // A copy of the REMI package whose manifest says its training data gave the MELODY track program 1.
        var dir = Path.Combine(Path.GetTempPath(), "musicgen-programs-" + Guid.NewGuid().ToString("N"));
        TestPackages.CopyDirectory(RemiPackage(), dir);
        try
        {
            var manifestPath = Path.Combine(dir, "musicgen.json");
            var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
            manifest["trackPrograms"] = new System.Text.Json.Nodes.JsonObject { ["MELODY"] = 1 };
            File.WriteAllText(manifestPath, manifest.ToJsonString());

            var primer = new MusicGen.Core.Music.Score { TicksPerQuarter = 480 };
            primer.TimeSignatures.Add(new MusicGen.Core.Music.TimeSignature(0, 4, 4));
            foreach (var (name, pitch) in new[] { ("MELODY", 72), ("PIANO", 48) })
            {
                var track = new MusicGen.Core.Music.ScoreTrack { Name = name };
                for (int i = 0; i < 4; i++) track.Notes.Add(new MusicGen.Core.Music.Note(i * 480, i * 480 + 240, primer.Tracks.Count, pitch + i, 80));
                primer.Tracks.Add(track);
            }

            string[] PromptNames(string package)
            {
                using var model = MusicModel.Load(package);
                Assert.Equal(package == dir ? 1 : 0, model.Package.Programs.ToDictionary().Count);
                var seq = model.CreateSequence(new GenerationRequest { Primer = primer, MaxTokens = 4 });
                return [.. seq.Tokens.ToArray().Select(model.Tokenizer.TokenName)];
            }

            Assert.DoesNotContain("Program_1", PromptNames(RemiPackage()));
            Assert.Equal(4, PromptNames(dir).Count(n => n == "Program_1"));
            Assert.All(primer.Tracks, t => Assert.Equal(0, t.Program));
            using (var model = MusicModel.Load(dir))
            {
                // The primer's melody comes back as program 1, named after its track.
                var decoded = model.CreateSequence(new GenerationRequest { Primer = primer, MaxTokens = 4 }).DecodeScore();
                Assert.Equal([72, 73, 74, 75], decoded.Tracks.Single(t => t.Name == "MELODY" && t.Program == 1).Notes.Select(n => n.Pitch));
                Assert.DoesNotContain(decoded.Tracks, t => t.Program == 0 && t.Name == "MELODY");
            }

            manifest["trackPrograms"] = new System.Text.Json.Nodes.JsonObject { ["MELODY"] = 128 };
            File.WriteAllText(manifestPath, manifest.ToJsonString());
            var e = Assert.Throws<MusicGen.Core.Packaging.ModelPackageException>(() => MusicModel.Load(dir));
            Assert.Contains("trackPrograms", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
