using System.Globalization;

namespace MusicGen.Core.Music;

/// <summary>
/// Time signatures to rewrite before a score is tokenized, e.g. <c>1/4 -> 4/4</c> for corpora whose files declare a
/// meter that is an export artifact (563 of POP909's 819 files declare 1/4). A model trained on rewritten data
/// records its map in its package, so primers and evaluation data are rewritten the same way. Bar lines follow the
/// new meter from each time-signature event on; notes do not move.
/// </summary>
public sealed class MeterRewrite
{
    private readonly Dictionary<(int Numerator, int Denominator), (int Numerator, int Denominator)> _map;

    private MeterRewrite(Dictionary<(int, int), (int, int)> map) => _map = map;

    /// <summary>The empty map (meters as the files say).</summary>
    public static MeterRewrite None { get; } = new([]);

    /// <summary>True when the map rewrites nothing.</summary>
    public bool IsEmpty => _map.Count == 0;

    /// <summary>Parses <c>{"1/4": "4/4"}</c>-style entries; null or empty gives <see cref="None"/>.</summary>
    /// <exception cref="ArgumentException">An entry is not a time signature like 4/4 (the message names it).</exception>
    public static MeterRewrite Parse(IReadOnlyDictionary<string, string>? entries)
    {
        if (entries is null || entries.Count == 0) return None;
        var map = new Dictionary<(int, int), (int, int)>();
        foreach (var (from, to) in entries) map[ParseMeter(from)] = ParseMeter(to);
        return new MeterRewrite(map);
    }

    /// <summary>
    /// The score with every time signature the map names rewritten: a new <see cref="Score"/> sharing the tracks (the
    /// input is not changed), or <paramref name="score"/> itself when nothing is rewritten.
    /// </summary>
    public Score Rewrite(Score score)
    {
        ArgumentNullException.ThrowIfNull(score);
        if (_map.Count == 0 || !score.TimeSignatures.Any(t => _map.ContainsKey((t.Numerator, t.Denominator)))) return score;
        var copy = new Score { TicksPerQuarter = score.TicksPerQuarter, Format = score.Format };
        copy.Tracks.AddRange(score.Tracks);
        copy.Tempos.AddRange(score.Tempos);
        copy.KeySignatures.AddRange(score.KeySignatures);
        foreach (var t in score.TimeSignatures)
            copy.TimeSignatures.Add(_map.TryGetValue((t.Numerator, t.Denominator), out var to) ? t with { Numerator = to.Numerator, Denominator = to.Denominator } : t);
        return copy;
    }

    /// <summary>The map as <c>"from" -> "to"</c> strings (for manifests and descriptions).</summary>
    public Dictionary<string, string> ToDictionary() => _map.ToDictionary(
        kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key.Numerator}/{kv.Key.Denominator}"),
        kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Value.Numerator}/{kv.Value.Denominator}"),
        StringComparer.Ordinal);

    private static (int, int) ParseMeter(string text)
    {
        var parts = (text ?? "").Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 255
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var d) && d is >= 1 and <= 128 && (d & (d - 1)) == 0)
            return (n, d);
        throw new ArgumentException($"Meter map entry '{text}' is not a time signature like 4/4 (numerator 1-255, denominator a power of two up to 128).");
    }
}
