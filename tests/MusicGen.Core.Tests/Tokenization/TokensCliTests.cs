using MusicGen.Cli.Commands;
using MusicGen.Core.Tokenization;

namespace MusicGen.Core.Tests.Tokenization;

public class TokensCliTests
{
    [Fact]
    public void Printed_names_and_ids_parse_back()
    {
        var t = new RemiTokenizer();
        int[] ids = [t.Bos, t.TokenId("Bar"), t.TokenId("TimeSig_3/4"), t.TokenId("Position_0"), t.TokenId("Program_0"), t.TokenId("Pitch_60"), t.TokenId("Velocity_90"), t.TokenId("Duration_1"), 9999, t.Eos];
        Assert.Equal(ids, TokensCommands.ParseTokens(t, TokensCommands.FormatTokens(t, ids, asIds: false)));
        Assert.Equal(ids, TokensCommands.ParseTokens(t, TokensCommands.FormatTokens(t, ids, asIds: true)));
        Assert.Throws<ArgumentException>(() => TokensCommands.ParseTokens(t, "BOS Pitch_999"));
    }

    [Fact]
    public void Track_program_pairs_parse_and_bad_ones_name_themselves()
    {
        var map = CorpusCommands.TrackPrograms(["MELODY=1", "Program 1 = 0"])!;
        Assert.Equal(1, map["MELODY"]);
        Assert.Equal(0, map["Program 1"]);
        Assert.Null(CorpusCommands.TrackPrograms([]));
        Assert.Contains("'MELODY'", Assert.Throws<ArgumentException>(() => CorpusCommands.TrackPrograms(["MELODY"])).Message);
        Assert.Contains("'=1'", Assert.Throws<ArgumentException>(() => CorpusCommands.TrackPrograms(["=1"])).Message);
        Assert.Contains("program 200", Assert.Throws<ArgumentException>(() => CorpusCommands.TrackPrograms(["MELODY=200"])).Message);
    }
}
