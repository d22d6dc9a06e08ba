namespace MusicGen.Core.Tokenization;

/// <summary>The Duration token bins of <see cref="RemiTokenizer"/> and their names.</summary>
internal static class RemiDurations
{
    /// <summary>
    /// Bins in grid steps, ascending: every step up to one quarter, quarter/third/half multiples up to 4 quarters,
    /// halves up to 8, whole quarters up to 16, then 24 and 32.
    /// </summary>
    public static int[] Build(int res)
    {
        var set = new SortedSet<int>();
        for (var d = 1; d <= res; d++)
        {
            set.Add(d);
        }

        bool Multiple(int d, int parts) => res % parts == 0 && d % (res / parts) == 0;
        for (var d = res + 1; d <= 4 * res; d++)
        {
            if (Multiple(d, 4) || Multiple(d, 3) || Multiple(d, 2) || d % res == 0)
            {
                set.Add(d);
            }
        }

        for (var d = (4 * res) + 1; d <= 8 * res; d++)
        {
            if (Multiple(d, 2) || d % res == 0)
            {
                set.Add(d);
            }
        }

        for (var q = 9; q <= 16; q++)
        {
            set.Add(q * res);
        }

        set.Add(24 * res);
        set.Add(32 * res);
        return set.ToArray();
    }

    /// <summary>Steps as a reduced fraction of a quarter note: <c>1/2</c>, <c>3</c>.</summary>
    public static string QuarterFraction(int steps, int res)
    {
        var g = (int)System.Numerics.BigInteger.GreatestCommonDivisor(steps, res);
        var num = steps / g;
        var den = res / g;
        return den == 1 ? $"{num}" : $"{num}/{den}";
    }
}
