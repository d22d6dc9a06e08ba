using MusicGen.Core.Corpus;
using MusicGen.Core.Music;

namespace MusicGen.Inference;

/// <summary>
/// The pieces of a model trained in C major / A minor (manifest <c>normalizedKeys</c>): the key one is moved to when
/// the request names none and has no primer (a key signature drawn from the seed with the weights of the training
/// pieces' keys; the same seed and package give the same key), and the move itself.
/// </summary>
internal static class KeyFrame
{
    /// <summary>Salt that keeps this draw apart from the sampler's own use of the seed.</summary>
    private const ulong Salt = 0x6b65792d64726177; // "key-draw"

    /// <summary>The semitones (-5..+6) that move C major / A minor to the drawn key signature.</summary>
    /// <param name="counts">Training pieces per relative-major tonic (12 non-negative counts, not all 0; the manifest checks this).</param>
    /// <param name="seed">The request's seed.</param>
    public static int Shift(int[] counts, long seed)
    {
        long total = 0;
        foreach (var c in counts) total += c;
        var pick = (long)(new SplitMix64(SplitMix64.Mix((ulong)seed, Salt)).NextDouble() * total);
        var tonic = 0;
        for (; tonic < 11 && pick >= counts[tonic]; tonic++) pick -= counts[tonic];
        return -KeyNormalization.ShiftToC(new MusicalKey(tonic, false));
    }

    /// <summary>
    /// The score with its pitched notes moved by <paramref name="shift"/> semitones (key signatures with them; drums
    /// stay). A note the move would take outside 0..127 goes an octave the other way, so no note is lost.
    /// </summary>
    public static Score Move(Score score, int shift)
    {
        if (shift == 0) return score;
        var moved = score.Transpose(shift); // drops notes that leave 0..127: put them back an octave inside
        for (var t = 0; t < score.Tracks.Count; t++)
        {
            var from = score.Tracks[t];
            if (from.IsDrum || moved.Tracks[t].Notes.Count == from.Notes.Count) continue;
            moved.Tracks[t].Notes.Clear();
            foreach (var n in from.Notes)
            {
                var p = n.Channel == 9 ? n.Pitch : n.Pitch + shift;
                moved.Tracks[t].Notes.Add(n with { Pitch = p < 0 ? p + 12 : p > 127 ? p - 12 : p });
            }
        }

        return moved;
    }
}
