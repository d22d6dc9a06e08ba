using MusicGen.Core.Tokenization;

namespace MusicGen.Inference.Tests;

/// <summary>A package whose tokenizer writes notes from the top down is sampled under that order's grammar.</summary>
public sealed class NoteOrderTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Generated_notes_at_a_position_follow_the_packages_pitch_order(bool descending)
    {
        var name = descending ? "remi-descending" : "remi-ascending";
        using var model = MusicModel.Load(TestPackages.Transformer(name, tokenizer: new RemiTokenizer(new RemiConfig { PositionsPerQuarter = 4, DescendingPitches = descending })));
        Assert.Equal(descending, ((RemiTokenizer)model.Tokenizer).Config.DescendingPitches);
        int chords = 0, against = 0;
        for (long seed = 1; seed <= 6; seed++)
        {
            using var batch = model.CreateBatch(1);
            var seq = model.CreateSequence(new GenerationRequest { Bars = 4, Seed = seed });
            if (batch.Add(seq)) while (batch.Count > 0) batch.Step();
            var pitches = new List<int>();
            foreach (var token in seq.ToResult().Tokens.Select(model.Tokenizer.TokenName).Append("Bar"))
            {
                if (token.StartsWith("Pitch_", StringComparison.Ordinal))
                {
                    pitches.Add(int.Parse(token[6..], System.Globalization.CultureInfo.InvariantCulture));
                }
                else if (token.StartsWith("Position_", StringComparison.Ordinal) || token.StartsWith("Program_", StringComparison.Ordinal) || token is "Bar" or "EOS")
                {
                    if (pitches.Count > 1)
                    {
                        chords++;
                        // The random model would write either order; the grammar allows only the package's.
                        against += pitches.Zip(pitches.Skip(1)).Count(p => descending ? p.Second > p.First : p.Second < p.First);
                    }

                    pitches.Clear();
                }
            }
        }

        Assert.True(chords > 5, $"{chords} positions with more than one note");
        Assert.Equal(0, against);
    }
}
