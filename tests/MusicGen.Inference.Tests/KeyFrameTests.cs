using System.Text.Json.Nodes;
using MusicGen.Core.Corpus;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;
using MusicGen.Core.Packaging;
using MusicGen.Core.Tokenization;

namespace MusicGen.Inference.Tests;

/// <summary>
/// A real (random-weight) ONNX package whose manifest says it was trained on pieces moved to C major / A minor
/// (<c>normalizedKeys</c>): its tokens stay in that frame, and the piece is moved to the key asked for, the primer's,
/// or one drawn from the seed with the package's weights.
/// </summary>
public sealed class KeyFrameTests
{
    private static string Package(int[] normalizedKeys)
    {
        var dir = TestPackages.CopyOf(TestPackages.Transformer("remi", tokenizer: new RemiTokenizer(new RemiConfig { PositionsPerQuarter = 4 })));
        var path = Path.Combine(dir, ModelManifest.FileName);
        var manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        manifest["normalizedKeys"] = new JsonArray([.. normalizedKeys.Select(k => (JsonNode)k)]);
        File.WriteAllText(path, manifest.ToJsonString());
        return dir;
    }

    private static GenerationResult Generate(MusicModel model, GenerationRequest request)
    {
        using var batch = model.CreateBatch(1);
        var seq = model.CreateSequence(request);
        if (batch.Add(seq)) while (batch.Count > 0) batch.Step();
        return seq.ToResult();
    }

    /// <summary>The pitched (not drum) notes, by start then pitch: drums are never moved.</summary>
    private static IEnumerable<Note> Pitched(Score score) => score.Tracks.Where(t => !t.IsDrum).SelectMany(t => t.Notes).Where(n => n.Channel != 9).OrderBy(n => n.Start).ThenBy(n => n.Pitch);

    private static readonly int[] DMajor = [62, 64, 66, 67, 69, 71, 73, 74, 69, 66, 62, 62];

    /// <summary>A D major line of eighth notes, one note at a time.</summary>
    private static Score DMajorPrimer()
    {
        var primer = new Score { TicksPerQuarter = 480 };
        primer.TimeSignatures.Add(new TimeSignature(0, 4, 4));
        var track = new ScoreTrack();
        for (var i = 0; i < DMajor.Length; i++) track.Notes.Add(new Note(i * 240, (i + 1) * 240, 0, DMajor[i], 80));
        primer.Tracks.Add(track);
        return primer;
    }

    private static int[] Pitches(Score score) => [.. Pitched(score).Select(n => n.Pitch)];

    [Fact]
    public void Without_key_or_primer_the_piece_goes_to_a_key_drawn_from_the_seed_with_the_packages_weights()
    {
        using var model = MusicModel.Load(Package([0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 1])); // G major (3 pieces) and B major (1)
        Assert.True(model.Package.NormalizesKeys);
        var shifts = new HashSet<int>();
        for (long seed = 1; seed <= 16; seed++)
        {
            var result = Generate(model, new GenerationRequest { Bars = 2, Seed = seed });
            Assert.Contains(result.KeyShift, (int[])[-5, -1]); // C to G, C to B: the shortest ways
            shifts.Add(result.KeyShift);
            var tokens = model.Tokenizer.Decode(result.Tokens);
            var moved = Pitches(tokens).Select(p => p + result.KeyShift).Select(p => p < 0 ? p + 12 : p > 127 ? p - 12 : p);
            Assert.Equal(moved.Order(), Pitches(result.Score).Order()); // the notes, moved (an octave back where they would leave 0..127)
            Assert.Equal(Pitches(result.Score), Pitches(MidiScore.Read(result.Midi)));
            Assert.Equal(result.Midi, Generate(model, new GenerationRequest { Bars = 2, Seed = seed }).Midi); // same seed, same key, same MIDI
        }

        Assert.Equal(2, shifts.Count);
        using var plain = MusicModel.Load(TestPackages.Transformer("remi", tokenizer: new RemiTokenizer(new RemiConfig { PositionsPerQuarter = 4 })));
        Assert.False(plain.Package.NormalizesKeys);
        Assert.Equal(0, Generate(plain, new GenerationRequest { Bars = 2, Seed = 1 }).KeyShift);
    }

    [Theory]
    [InlineData("E minor", -5, 1, true)]
    [InlineData("Bb major", -2, -2, false)]
    [InlineData("D major", 2, 2, false)]
    public void An_asked_key_is_held_in_the_tokens_frame_and_the_piece_is_moved_to_it(string key, int shift, int sharpsFlats, bool minor)
    {
        using var model = MusicModel.Load(Package([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]));
        var asked = MusicalKey.Parse(key);
        var framed = new MusicalKey((asked.Tonic - shift + 12) % 12, asked.IsMinor);
        Assert.Equal(0, framed.SharpsFlats);
        for (long seed = 1; seed <= 3; seed++)
        {
            var result = Generate(model, new GenerationRequest { Bars = 3, Seed = seed, Key = key, Sampling = new SamplingOptions { ScaleBias = 60 } });
            Assert.Equal(shift, result.KeyShift);
            var tokens = model.Tokenizer.Decode(result.Tokens);
            var frameScale = framed.ScaleMask | (framed.IsMinor ? 1 << ((framed.Tonic + 11) % 12) : 0);
            Assert.All(Pitched(tokens), n => Assert.True((frameScale >> (n.Pitch % 12) & 1) == 1, $"token pitch {n.Pitch} outside {framed.Name}"));
            var written = MidiScore.Read(result.Midi);
            Assert.Equal(new KeySignature(0, sharpsFlats, minor), written.KeySignatures[0]);
            var scale = asked.ScaleMask | (asked.IsMinor ? 1 << ((asked.Tonic + 11) % 12) : 0);
            Assert.All(Pitched(written), n => Assert.True((scale >> (n.Pitch % 12) & 1) == 1, $"pitch {n.Pitch} outside {asked.Name}"));
        }
    }

    [Fact]
    public void A_primer_is_read_in_the_tokens_frame_and_the_piece_comes_back_in_the_primers_key()
    {
        using var model = MusicModel.Load(Package([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
        var primer = DMajorPrimer();
        var dMajor = DMajor;

        var result = Generate(model, new GenerationRequest { Primer = primer, Bars = 2, Seed = 4 });
        Assert.Equal(2, result.KeyShift); // D major read as C major, the piece moved back up
        var promptNotes = model.Tokenizer.Decode(result.Tokens.AsSpan(0, result.PromptTokenCount)).AllNotes.Select(n => n.Pitch);
        Assert.Equal(dMajor.Select(p => p - 2), promptNotes);                             // the model saw C major
        var tpq = (double)result.Score.TicksPerQuarter;
        var before = Pitched(result.Score).Where(n => n.Start / tpq < (dMajor.Length - 1) / 2.0).Select(n => n.Pitch);
        Assert.Equal(dMajor[..^1], before);                                               // the caller gets D major back
        Assert.Contains(Pitched(result.Score), n => n.Start / tpq == (dMajor.Length - 1) / 2.0 && n.Pitch == dMajor[^1]);
        Assert.Equal(dMajor, primer.AllNotes.Select(n => n.Pitch));                       // and the primer is untouched
    }

    [Fact]
    public async Task Streamed_notes_are_the_finished_pieces_notes_in_its_key_not_the_tokens_frame()
    {
        await using var generator = MusicGenerator.Create(new InferenceOptions { ModelPath = Package([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) });
        var eos = generator.Model.Tokenizer.Eos;
        var request = new GenerationRequest
        {
            Primer = DMajorPrimer(), MaxTokens = 200, Seed = 12,
            Sampling = new SamplingOptions { TokenBias = new Dictionary<int, float> { [eos] = float.NegativeInfinity } },
        };
        var streamed = new List<Note>();
        GenerationResult? result = null;
        int beforeEnd = 0;
        await foreach (var e in generator.StreamAsync(request))
        {
            if (e.Kind == GenerationEventKind.Note) streamed.Add(e.Note);
            if (e.Kind == GenerationEventKind.Token) beforeEnd = streamed.Count;
            if (e.Kind == GenerationEventKind.Completed) result = e.Result;
        }

        Assert.Equal(2, result!.KeyShift);
        Assert.True(beforeEnd >= 10, $"{beforeEnd} notes streamed before the end"); // the primer's, final once later notes start
        Assert.Equal(result.Score.AllNotes.OrderBy(n => n.Start).ThenBy(n => n.Pitch), streamed.OrderBy(n => n.Start).ThenBy(n => n.Pitch));
    }

    [Theory]
    [InlineData("[1, 2, 3]")]
    [InlineData("[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]")]
    [InlineData("[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1]")]
    public void A_manifest_with_bad_key_weights_is_refused_by_field(string weights)
    {
        var dir = Package([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
        var path = Path.Combine(dir, ModelManifest.FileName);
        var manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        manifest["normalizedKeys"] = JsonNode.Parse(weights);
        File.WriteAllText(path, manifest.ToJsonString());
        var e = Assert.Throws<ModelPackageException>(() => MusicModel.Load(dir));
        Assert.Contains("normalizedKeys", e.Message, StringComparison.Ordinal);
        Assert.Contains(ModelManifest.FileName, e.Message, StringComparison.Ordinal);
    }
}
