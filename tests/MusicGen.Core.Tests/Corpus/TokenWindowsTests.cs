using MusicGen.Core.Corpus;

namespace MusicGen.Core.Tests.Corpus;

public class TokenWindowsTests
{
    private static ReadOnlyMemory<int> Doc(int n) => Enumerable.Range(100, n).ToArray();

    [Fact]
    public void Windows_follow_the_stride_and_pad_the_tail()
    {
        var w = new TokenWindows(length: 4, stride: 2, padId: 0);
        var windows = w.Cut([Doc(7), Doc(3), Doc(0)]);
        Assert.Equal([(0, 0), (0, 2), (0, 4), (1, 0)], windows.Select(x => (x.Document, x.Offset)));
        var m = w.ToMatrix(windows);
        Assert.Equal([100, 101, 102, 103, 102, 103, 104, 105, 104, 105, 106, 0, 100, 101, 102, 0], m);
    }

    [Fact]
    public void Drop_and_align_tails()
    {
        var drop = new TokenWindows(4, 4, 0, WindowTail.Drop).Cut([Doc(9), Doc(3), Doc(4)]);
        Assert.Equal([(0, 0), (0, 4), (2, 0)], drop.Select(x => (x.Document, x.Offset)));
        var align = new TokenWindows(4, 4, 0, WindowTail.Align).Cut([Doc(9), Doc(8)]);
        Assert.Equal([(0, 0), (0, 4), (0, 5), (1, 0), (1, 4)], align.Select(x => (x.Document, x.Offset)));
        Assert.All(align, x => Assert.Equal(4, x.Tokens.Length));
    }

    [Fact]
    public void Truncate_keeps_the_first_window_only()
    {
        var windows = new TokenWindows(4, 1, 0, truncate: true).Cut([Doc(10), Doc(2)]);
        Assert.Equal([(0, 0), (1, 0)], windows.Select(x => (x.Document, x.Offset)));
    }

    [Fact]
    public void Invalid_settings_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenWindows(0, 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenWindows(4, 5, 0));
    }
}
