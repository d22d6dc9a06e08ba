namespace MusicGen.Core.Corpus;

/// <summary>SplitMix64: a tiny deterministic generator whose sequence never changes across .NET versions.</summary>
public sealed class SplitMix64
{
    private ulong _state;

    /// <summary>Seeds the generator.</summary>
    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>Mixes several values into one seed.</summary>
    public static ulong Mix(ulong a, ulong b)
    {
        var z = a + (b * 0x9E3779B97F4A7C15UL) + 0x632BE59BD9B4E019UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextULong()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, n) (n &gt; 0).</summary>
    public int NextInt(int n) => n <= 1 ? 0 : (int)(NextULong() % (ulong)n);

    /// <summary>Uniform integer in [min, max].</summary>
    public int NextInt(int min, int max) => min + NextInt(max - min + 1);

    /// <summary>Uniform double in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));
}
