using MusicGen.Core.Corpus;
using MusicGen.Core.Tokenization;

namespace MusicGen.Core.Tests.Corpus;

/// <summary>Windows cut from inside a song restate the key in force there (<see cref="WindowLead"/>).</summary>
public sealed class WindowLeadTests
{
    private static readonly RemiTokenizer Keys = new(new RemiConfig { KeyTokens = true });

    private static int Id(string name) => Keys.Vocabulary.Names.ToList().IndexOf(name);

    [Fact]
    public void Only_a_vocabulary_with_key_tokens_has_a_lead_and_it_finds_the_latest_key()
    {
        Assert.Null(WindowLead.ForKeys(new RemiTokenizer()));
        var lead = WindowLead.ForKeys(Keys)!;
        Assert.True(lead.IsLead(Id("Key_C")));
        Assert.True(lead.IsLead(Id("Key_Bm")));
        Assert.False(lead.IsLead(Id("Bar")));
        Assert.False(lead.IsLead(-1));
        Assert.False(lead.IsLead(Keys.VocabularySize));
        Assert.Equal(Id("Key_G"), lead.Latest([Id("Key_C"), Id("Bar"), Id("Key_G"), Id("Pitch_60")]));
        Assert.Null(lead.Latest([Id("Bar"), Id("Pitch_60")]));
    }

    [Fact]
    public void Windows_inside_a_song_start_with_the_key_in_force_and_keep_their_length()
    {
        int bar = Id("Bar"), c = Id("Key_C"), g = Id("Key_G"), p = Id("Pitch_60"), q = Id("Pitch_62");
        int[] song = [Keys.Bos, bar, c, p, q, p, q, g, p, q, p, q, p];   // 13 tokens, the key changes at 7
        int[] noKey = [Keys.Bos, bar, p, q, p, q];
        var cutter = new TokenWindows(length: 4, stride: 4, padId: Keys.Pad) { Lead = WindowLead.ForKeys(Keys) };
        var windows = cutter.Cut([song, noKey]);
        var m = cutter.ToMatrix(windows);
        int Row(int i, int j) => m[(i * 4) + j];

        Assert.Equal([(0, 0), (0, 4), (0, 8), (0, 12), (1, 0), (1, 4)], windows.Select(w => (w.Document, w.Offset)));
        Assert.Equal(song[..4], m[..4]);                                  // the first window is the song's start
        Assert.Equal([c, song[4], song[5], song[6]], m[4..8]);            // C is in force at 4; the window's last token goes
        Assert.Equal([g, song[8], song[9], song[10]], m[8..12]);          // G from 7 on
        Assert.Equal([g, song[12], Keys.Pad, Keys.Pad], m[12..16]);       // a short tail keeps all its tokens
        Assert.Equal(noKey[..4], m[16..20]);                              // no key before it: nothing restated
        Assert.Equal([p, q, Keys.Pad, Keys.Pad], Enumerable.Range(0, 4).Select(j => Row(5, j)));
        Assert.Equal([null, c, g, g, null, null], windows.Select(w => w.Lead));
    }

    [Fact]
    public void Without_a_lead_windows_are_cut_as_before()
    {
        int[] song = [Keys.Bos, Id("Bar"), Id("Key_C"), Id("Pitch_60"), Id("Pitch_62"), Id("Pitch_64"), Id("Pitch_65")];
        var plain = new TokenWindows(4, 2, Keys.Pad);
        Assert.All(plain.Cut([song]), w => Assert.Null(w.Lead));
        Assert.Equal([.. song[..4], .. song[2..6], .. song[4..7], Keys.Pad], plain.ToMatrix(plain.Cut([song])));
        Assert.Throws<InvalidOperationException>(() => new TokenWindows(1, 1, 0) { Lead = WindowLead.ForKeys(Keys) }.Cut([song]));
    }
}
