using MusicGen.Core.Corpus;
using MusicGen.Core.Midi;
using MusicGen.Core.Tokenization;

namespace MusicGen.Core.Tests.Tokenization;

/// <summary>Small checks on the shared datasets when they are present (the full runs are the hand-run CLI commands).</summary>
public class DatasetRoundTripTests
{
    [Fact]
    public void Nottingham_sample_round_trips_exactly_with_remi()
    {
        var dir = SharedDatasets.Find("nottingham");
        if (dir is null)
        {
            return; // dataset not present on this machine
        }

        var t = new RemiTokenizer();
        foreach (var file in CorpusBuilder.FindMidiFiles(dir).Where((_, i) => i % 47 == 0))
        {
            var r = RoundTrip.Measure(t, MidiScore.Load(file));
            Assert.True(r.Exact, $"{file}: {r}");
        }
    }

    [Fact]
    public void Pop909_sample_round_trips_within_the_grid_with_remi()
    {
        var dir = SharedDatasets.Find("pop909");
        if (dir is null)
        {
            return;
        }

        var t = new RemiTokenizer();
        foreach (var file in CorpusBuilder.FindMidiFiles(dir).Where((_, i) => i % 100 == 0))
        {
            var r = RoundTrip.Measure(t, MidiScore.Load(file));
            Assert.True(r.WithinGrid, $"{file}: {r}");
            Assert.True(r.MaxOnsetError <= 0.5, $"{file}: {r}");
        }
    }

    [Fact]
    public void Jsb_frames_round_trip_exactly()
    {
        var dir = SharedDatasets.Find("jsb-chorales");
        if (dir is null)
        {
            return;
        }

        var t = new ChoraleTokenizer();
        foreach (var (_, pieces) in JsbDataset.Load(Path.Combine(dir, "jsb-chorales-quarter.json")).Splits)
        {
            foreach (var piece in pieces)
            {
                Assert.Equal(piece, t.DecodeFrames(t.EncodeFrames(piece)).ToArray());
            }
        }
    }
}
