using MusicGen.Core.Tokenization;

namespace MusicGen.Evaluation.Tests;

public sealed class NllDataTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), "musicgen-nll-" + Guid.NewGuid().ToString("N") + ".json");

    public void Dispose() => File.Delete(_file);

    [Fact]
    public void Jsb_json_through_the_chorale_tokenizer_and_its_grammar()
    {
        File.WriteAllText(_file, """{"train": [[[70]]], "valid": [[[64, 60], [62, -1], []]]}""");
        var tokenizer = new ChoraleTokenizer();
        var seqs = NllData.Load(_file, "valid", tokenizer);
        var single = Assert.Single(seqs);
        int P(int pitch) => tokenizer.PitchId(pitch);
        int fe = tokenizer.FrameEnd;
        Assert.Equal([tokenizer.Bos, P(60), P(64), fe, P(62), fe, fe, tokenizer.Eos], single);

        // Flat logits: each token's NLL is ln(#legal). V = 4 + 88; at a frame start 88 pitches + FrameEnd (+ EOS).
        int v = tokenizer.VocabularySize;
        var acc = new NllAccumulator(v, new NllOptions { FrameEndToken = fe, EosToken = tokenizer.Eos });
        acc.AddSequence(single, new float[(single.Length - 1) * v], new GrammarConstraint(tokenizer.CreateGrammar()));
        var r = acc.Result();
        int above64 = tokenizer.VocabularySize - 1 - P(64);   // pitch ids above Pitch_64
        int above62 = tokenizer.VocabularySize - 1 - P(62);
        int above60 = tokenizer.VocabularySize - 1 - P(60);
        double frame1 = Math.Log(89) + Math.Log(above60 + 1) + Math.Log(above64 + 1);
        double frame2 = Math.Log(89) + Math.Log(above62 + 1);
        double frame3 = Math.Log(89);
        Assert.Equal(3, r.Frames);
        Assert.Equal((frame1 + frame2 + frame3) / 3, r.NllPerFrame, 10);
        Assert.Equal(0, r.MaskViolations);
        Assert.Equal(7, r.Tokens);
    }

    [Fact]
    public void Missing_split_names_the_keys_there()
    {
        File.WriteAllText(_file, """{"train": [], "valid": []}""");
        var ex = Assert.Throws<InvalidDataException>(() => NllData.Load(_file, "test", new ChoraleTokenizer()));
        Assert.Contains("no split \"test\"", ex.Message);
        Assert.Contains("train, valid", ex.Message);
    }

    [Fact]
    public void Bad_pitch_is_located()
    {
        File.WriteAllText(_file, """{"valid": [[[60], [61.5]]]}""");
        var ex = Assert.Throws<InvalidDataException>(() => NllData.Load(_file, "valid", new ChoraleTokenizer()));
        Assert.Contains("valid[0][1]", ex.Message);
    }

    [Fact]
    public void Shared_jsb_valid_split_loads_when_present()
    {
        string path = Path.Combine(RepoRoot(), "..", "shared", "datasets", "jsb-chorales", "jsb-chorales-quarter.json");
        if (!File.Exists(path))
        {
            return; // dataset not on this machine
        }

        var seqs = NllData.Load(path, "valid", new ChoraleTokenizer());
        Assert.Equal(76, seqs.Count);
        Assert.All(seqs, s => Assert.Equal(2, s[^1]));
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "MusicGen.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? AppContext.BaseDirectory;
    }
}
