namespace MusicGen.Core.Music;

/// <summary>
/// How well <see cref="KeyFinder.Estimate"/> agrees with the key signatures of scores that carry exactly one key
/// (after normalisation): the estimate from the notes against the key the signature names.
/// </summary>
public sealed record KeyAgreement
{
    /// <summary>Scores looked at.</summary>
    public int Scores { get; init; }

    /// <summary>Scores with exactly one key in their signatures and at least one note (the ones compared).</summary>
    public int Compared { get; init; }

    /// <summary>Of <see cref="Compared"/>: signatures <see cref="KeyFinder.IsPlausible"/> accepts.</summary>
    public int Plausible { get; init; }

    /// <summary>Of <see cref="Compared"/>: estimate equal to the signature's key (tonic and mode).</summary>
    public int Exact { get; init; }

    /// <summary>Of <see cref="Compared"/>: estimate with the same signature (the key or its relative major/minor).</summary>
    public int SameSignature { get; init; }

    /// <summary>Of <see cref="Compared"/>: estimate on the same tonic with the other mode.</summary>
    public int Parallel { get; init; }

    /// <summary>Of <see cref="Compared"/>: estimate a fifth above or below, same mode.</summary>
    public int Fifth { get; init; }

    /// <summary>Measures the agreement over scores with one profile.</summary>
    public static KeyAgreement Measure(IEnumerable<Score> scores, KeyProfile profile)
    {
        ArgumentNullException.ThrowIfNull(scores);
        int n = 0, compared = 0, plausible = 0, exact = 0, sameSig = 0, parallel = 0, fifth = 0;
        foreach (var score in scores)
        {
            n++;
            var signatures = KeyFinder.NormalizedSignatures(score);
            if (signatures.Count != 1) continue;
            var weights = KeyFinder.PitchClassWeights(score, long.MinValue, long.MaxValue);
            if (KeyFinder.Estimate(weights, profile) is not { } estimate) continue;
            var truth = signatures[0].Key;
            compared++;
            var notes = score.Tracks.Where(t => !t.IsDrum).Sum(t => t.Notes.Count);
            if (KeyFinder.IsPlausible(weights, truth, notes)) plausible++;
            if (estimate == truth) exact++;
            if (estimate.SharpsFlats == truth.SharpsFlats) sameSig++;
            if (estimate.Tonic == truth.Tonic && estimate.IsMinor != truth.IsMinor) parallel++;
            var d = (estimate.Tonic - truth.Tonic + 12) % 12;
            if (estimate.IsMinor == truth.IsMinor && d is 5 or 7) fifth++;
        }

        return new KeyAgreement { Scores = n, Compared = compared, Plausible = plausible, Exact = exact, SameSignature = sameSig, Parallel = parallel, Fifth = fifth };
    }
}
