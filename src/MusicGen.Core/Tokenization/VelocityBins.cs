namespace MusicGen.Core.Tokenization;

/// <summary>
/// Uniform velocity bins: with <c>n</c> bins of width <c>w = 128 / n</c>, velocity <c>v</c> (clamped to 1..127)
/// falls in bin <c>v / w</c>, whose value is <c>bin * w + w / 2</c> (at least 1). With 32 bins the values are
/// 2, 6, ..., 126 (so 90 and 126 are exact); with 128 bins every velocity is exact.
/// </summary>
public sealed class VelocityBins
{
    private readonly int _width;

    /// <summary>Creates <paramref name="count"/> bins; it must divide 128.</summary>
    public VelocityBins(int count)
    {
        if (count is < 1 or > 128 || 128 % count != 0)
        {
            throw new ArgumentException($"Velocity bins ({count}) must divide 128 (1, 2, 4, ..., 128).", nameof(count));
        }

        Count = count;
        _width = 128 / count;
    }

    /// <summary>Number of bins.</summary>
    public int Count { get; }

    /// <summary>Bin of a velocity.</summary>
    public int Bin(int velocity) => Math.Clamp(velocity, 1, 127) / _width;

    /// <summary>Velocity a bin decodes to.</summary>
    public int Value(int bin) => Math.Max(1, (Math.Clamp(bin, 0, Count - 1) * _width) + (_width / 2));
}
