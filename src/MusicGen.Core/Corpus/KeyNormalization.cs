using MusicGen.Core.Music;

namespace MusicGen.Core.Corpus;

/// <summary>
/// Moves a piece to the key signature without sharps or flats (C major or A minor): by the shift of -5..+6 semitones
/// that brings its key's relative major to C, the key being the piece's first entry of <see cref="KeyFinder.KeyMap"/>
/// (its signature where plausible, else the estimate from the notes). A model trained on pieces moved this way learns
/// one tonal centre instead of twelve; its pieces are moved to a key afterwards.
/// </summary>
public static class KeyNormalization
{
    /// <summary>The semitones that move <paramref name="key"/>'s relative major to C, in -5..+6.</summary>
    public static int ShiftToC(MusicalKey key)
    {
        var relativeMajor = key.IsMinor ? (key.Tonic + 3) % 12 : key.Tonic;
        var shift = (12 - relativeMajor) % 12;
        return shift > 6 ? shift - 12 : shift;
    }

    /// <summary>
    /// The piece moved to C major / A minor, and the shift used. When the shift would push a pitched note outside
    /// [<paramref name="pitchMin"/>, <paramref name="pitchMax"/>], the shift an octave the other way is used; when
    /// neither fits, the piece is returned unmoved with shift 0.
    /// </summary>
    public static (Score Score, int Shift) Apply(Score score, int pitchMin = 21, int pitchMax = 108)
    {
        ArgumentNullException.ThrowIfNull(score);
        var (lo, hi) = AugmentationOptions.PitchedRange(score);
        if (lo > hi) return (score, 0);
        var shift = ShiftToC(KeyFinder.KeyMap(score)[0].Key);
        foreach (var s in (ReadOnlySpan<int>)[shift, shift > 0 ? shift - 12 : shift + 12])
        {
            if (s == 0) return (score, 0);
            if (lo + s >= pitchMin && hi + s <= pitchMax) return (score.Transpose(s), s);
        }

        return (score, 0);
    }
}
