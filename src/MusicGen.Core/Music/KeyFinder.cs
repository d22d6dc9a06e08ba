namespace MusicGen.Core.Music;

/// <summary>Key profiles for <see cref="KeyFinder"/>: the weight of each scale degree in a major and a minor key.</summary>
public enum KeyProfile
{
    /// <summary>Krumhansl and Kessler's probe-tone ratings (1982), the original Krumhansl–Schmuckler profiles.</summary>
    KrumhanslKessler,

    /// <summary>Temperley's profiles from the Kostka–Payne corpus (Music and Probability, 2007).</summary>
    Temperley,

    /// <summary>Albrecht and Shanahan's profiles from a corpus of classical works (2013).</summary>
    AlbrechtShanahan,
}

/// <summary>Where a key of <see cref="KeyFinder.KeyMap"/> came from.</summary>
public enum KeySource
{
    /// <summary>The score's key signature (plausible for its notes).</summary>
    Signature,

    /// <summary>Estimated from the notes (no signature, or one the notes contradict).</summary>
    Estimate,

    /// <summary>Nothing to go on (no signature, no notes): C major.</summary>
    Default,
}

/// <summary>A key from a tick on, and where it came from.</summary>
public readonly record struct KeyChange(long Tick, MusicalKey Key, KeySource Source);

/// <summary>
/// A key for every score: the MIDI key signature where one is present and plausible, else a Krumhansl–Schmuckler
/// estimate (the key whose profile correlates best with the duration-weighted pitch-class histogram of the
/// non-drum notes). Stateless and deterministic.
/// </summary>
public static class KeyFinder
{
    /// <summary>The profile <see cref="KeyMap"/> estimates with (chosen by agreement with Nottingham's signatures; docs/tokenizers.md).</summary>
    public const KeyProfile DefaultProfile = KeyProfile.Temperley;

    /// <summary>
    /// A signature is plausible when the share of note time inside its scale is at most this much below the best
    /// share over the 12 diatonic scales (so a default C-major signature on a piece in E major is rejected).
    /// </summary>
    public const double PlausibilityTolerance = 0.05;

    /// <summary>Segments between signature changes with fewer notes than this are not judged.</summary>
    public const int MinNotesToJudge = 8;

    private static readonly double[][] Major =
    [
        [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88],
        [0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400],
        [0.238, 0.006, 0.111, 0.006, 0.137, 0.094, 0.016, 0.214, 0.009, 0.080, 0.008, 0.081],
    ];

    private static readonly double[][] Minor =
    [
        [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17],
        [0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067, 0.133, 0.330],
        [0.220, 0.006, 0.104, 0.123, 0.019, 0.103, 0.012, 0.214, 0.062, 0.022, 0.061, 0.052],
    ];

    /// <summary>
    /// The key map of a score: its key signatures (normalised: sorted, the last at a tick wins, repeats dropped,
    /// the first moved to tick 0) when every segment between changes with at least <see cref="MinNotesToJudge"/>
    /// notes finds its signature plausible; else one estimated key from tick 0; C major when there are neither
    /// signatures nor notes. Never empty; the first entry is at tick 0.
    /// </summary>
    public static IReadOnlyList<KeyChange> KeyMap(Score score, KeyProfile profile = DefaultProfile)
    {
        ArgumentNullException.ThrowIfNull(score);
        var signatures = NormalizedSignatures(score);
        if (signatures.Count > 0 && SignaturesPlausible(score, signatures))
        {
            return [.. signatures.Select((k, i) => new KeyChange(i == 0 ? 0 : k.Tick, k.Key, KeySource.Signature))];
        }

        var estimate = Estimate(PitchClassWeights(score, 0, long.MaxValue), profile);
        return estimate is { } key ? [new KeyChange(0, key, KeySource.Estimate)] : [new KeyChange(0, new MusicalKey(0, false), KeySource.Default)];
    }

    /// <summary>
    /// The score with a key signature: unchanged when it has one, else (in place) with the key
    /// <see cref="KeyMap"/> estimates from the notes at tick 0 (none for a piece without notes). Generated MIDI is
    /// written this way; <c>eval --estimate-keys</c> treats real pieces the same, so key metrics compare like with like.
    /// </summary>
    public static Score WithKeySignature(Score score)
    {
        ArgumentNullException.ThrowIfNull(score);
        if (score.KeySignatures.Count > 0) return score;
        var first = KeyMap(score)[0];
        if (first.Source == KeySource.Estimate) score.KeySignatures.Add(new KeySignature(0, first.Key.SharpsFlats, first.Key.IsMinor));
        return score;
    }

    /// <summary>The score's key signatures as keys: sorted by tick, the last at a tick wins, repeats dropped.</summary>
    public static List<(long Tick, MusicalKey Key)> NormalizedSignatures(Score score)
    {
        ArgumentNullException.ThrowIfNull(score);
        var result = new List<(long Tick, MusicalKey Key)>();
        foreach (var ks in score.KeySignatures.OrderBy(k => k.Tick)) // OrderBy is stable
        {
            var key = MusicalKey.FromSignature(ks.SharpsFlats, ks.IsMinor);
            if (result.Count > 0 && result[^1].Tick == ks.Tick) result.RemoveAt(result.Count - 1);
            if (result.Count == 0 || result[^1].Key != key) result.Add((ks.Tick, key));
        }

        return result;
    }

    /// <summary>
    /// The key whose profile correlates best (Pearson) with a 12-bin pitch-class weight vector; null when the
    /// weights are all equal (no notes). Ties go to the lower <see cref="MusicalKey.Index"/>.
    /// </summary>
    public static MusicalKey? Estimate(ReadOnlySpan<double> weights, KeyProfile profile = DefaultProfile)
    {
        if (weights.Length != 12) throw new ArgumentException("pitch-class weights must have 12 entries", nameof(weights));
        var best = -1;
        var bestR = double.NegativeInfinity;
        for (var k = 0; k < MusicalKey.Count; k++)
        {
            var r = Correlation(weights, MusicalKey.FromIndex(k), profile);
            if (r > bestR + 1e-12)
            {
                bestR = r;
                best = k;
            }
        }

        return best < 0 || double.IsNaN(bestR) ? null : MusicalKey.FromIndex(best);
    }

    /// <summary>Pearson correlation between the weights and the profile of <paramref name="key"/> (NaN for flat weights).</summary>
    public static double Correlation(ReadOnlySpan<double> weights, MusicalKey key, KeyProfile profile = DefaultProfile)
    {
        var p = (key.IsMinor ? Minor : Major)[(int)profile];
        double mw = 0, mp = 0;
        for (var i = 0; i < 12; i++)
        {
            mw += weights[i];
            mp += p[i];
        }

        mw /= 12;
        mp /= 12;
        double sxy = 0, sxx = 0, syy = 0;
        for (var pc = 0; pc < 12; pc++)
        {
            var x = weights[pc] - mw;
            var y = p[(pc - key.Tonic + 12) % 12] - mp;
            sxy += x * y;
            sxx += x * x;
            syy += y * y;
        }

        return sxx <= 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>
    /// Duration-weighted pitch-class histogram (in quarter notes) of the non-drum notes whose onset lies in
    /// <c>[fromTick, toTick)</c>.
    /// </summary>
    public static double[] PitchClassWeights(Score score, long fromTick, long toTick)
    {
        ArgumentNullException.ThrowIfNull(score);
        var w = new double[12];
        var tpq = Math.Max(1, score.TicksPerQuarter);
        foreach (var track in score.Tracks)
        {
            if (track.IsDrum) continue;
            foreach (var n in track.Notes)
            {
                if (n.Start < fromTick || n.Start >= toTick) continue;
                w[n.Pitch % 12] += Math.Max(n.End - n.Start, 1) / (double)tpq;
            }
        }

        return w;
    }

    /// <summary>Share of the weight inside a scale mask (bit i = pitch class i); NaN without weight.</summary>
    public static double InScaleShare(ReadOnlySpan<double> weights, int scaleMask)
    {
        double inside = 0, total = 0;
        for (var pc = 0; pc < 12; pc++)
        {
            total += weights[pc];
            if ((scaleMask >> pc & 1) != 0) inside += weights[pc];
        }

        return total > 0 ? inside / total : double.NaN;
    }

    /// <summary>
    /// True when the share of note time in the key's scale is within <see cref="PlausibilityTolerance"/> of the best
    /// diatonic scale's share (or there is too little to judge).
    /// </summary>
    public static bool IsPlausible(ReadOnlySpan<double> weights, MusicalKey key, int noteCount)
    {
        if (noteCount < MinNotesToJudge) return true;
        var share = InScaleShare(weights, key.ScaleMask);
        if (double.IsNaN(share)) return true;
        var best = 0.0;
        for (var t = 0; t < 12; t++) best = Math.Max(best, InScaleShare(weights, new MusicalKey(t, false).ScaleMask));
        return share >= best - PlausibilityTolerance;
    }

    private static bool SignaturesPlausible(Score score, List<(long Tick, MusicalKey Key)> signatures)
    {
        for (var i = 0; i < signatures.Count; i++)
        {
            var from = i == 0 ? long.MinValue : signatures[i].Tick;
            var to = i + 1 < signatures.Count ? signatures[i + 1].Tick : long.MaxValue;
            var weights = PitchClassWeights(score, from, to);
            var count = score.Tracks.Where(t => !t.IsDrum).Sum(t => t.Notes.Count(n => n.Start >= from && n.Start < to));
            if (!IsPlausible(weights, signatures[i].Key, count)) return false;
        }

        return true;
    }
}
