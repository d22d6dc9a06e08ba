using System.Globalization;
using MusicGen.Core.Limits;
using MusicGen.Core.Midi;

namespace MusicGen.Audio.Tests;

/// <summary>Real FluidSynth (libfluidsynth3), the real FluidR3_GM SoundFont, real MIDI files; sox and mido read the results.</summary>
public sealed class RenderTests
{
    private static readonly MidiAudioRenderer Renderer = new();

    [Fact]
    public void Wav_header_and_length_match_the_midi_duration_as_mido_measures_it()
    {
        var path = AudioFiles.GeneratedPiece;
        var audio = Renderer.Render(MidiFile.ReadFile(path));
        var wav = AudioFiles.ReadWav(audio.Bytes);

        Assert.Equal(("RIFF", "WAVE", 1, 2, 44_100, 44_100 * 4, 4, 16), (wav.Riff, wav.Wave, wav.Format, wav.Channels, wav.SampleRate, wav.ByteRate, wav.BlockAlign, wav.Bits));
        Assert.Equal(audio.Frames * 4, wav.DataBytes);
        // Debian's python3-mido, an independent reader, measures the file's length in seconds.
        var mido = double.Parse(AudioFiles.Run("/usr/bin/python3", "-c", "import mido,sys; print(mido.MidiFile(sys.argv[1]).length)", path).Trim(), CultureInfo.InvariantCulture);
        Assert.InRange(mido, 5, 600);
        Assert.Equal(mido, audio.MidiSeconds, 3);
        var expectedFrames = Math.Round((mido + Renderer.Options.TailSeconds) * 44_100);
        Assert.InRange(audio.Frames, expectedFrames - 1, expectedFrames + 1);
    }

    [Fact]
    public void Sound_starts_and_stops_where_the_note_does()
    {
        // A middle C from 1.0 s to 2.0 s in a 3 s file: silence before it, sound during it, a decay after it.
        var audio = Renderer.Render(AudioFiles.OneNote(1.0, 2.0, 3.0));
        var samples = AudioFiles.ReadWav(audio.Bytes).Samples;
        Assert.Equal(4.0 * 44_100, audio.Frames); // 3 s of MIDI + the 1 s tail
        double Rms(double from, double to)
        {
            int a = (int)(from * 44_100) * 2, b = (int)(to * 44_100) * 2;
            double sum = 0;
            for (var i = a; i < b; i++) sum += (double)samples[i] * samples[i];
            return Math.Sqrt(sum / (b - a));
        }
        Assert.Equal(0, Rms(0, 0.99));                 // nothing before the note (no dither, no noise)
        Assert.True(Rms(1.0, 1.5) > 300, $"the note is loud enough: RMS {Rms(1.0, 1.5):0.0}");
        Assert.True(Rms(3.5, 4.0) < Rms(1.0, 1.5) / 20, "the note has died away by the end of the tail");
        Assert.Contains(samples, s => Math.Abs((int)s) > 1000);
    }

    [Fact]
    public void The_same_midi_twice_gives_identical_bytes_in_both_formats()
    {
        var midi = MidiFile.ReadFile(AudioFiles.GeneratedPiece);
        Assert.Equal(Renderer.Render(midi).Bytes, new MidiAudioRenderer().Render(midi).Bytes);
        var flac = Renderer.Render(midi, AudioFormat.Flac);
        Assert.Equal(flac.Bytes, Renderer.Render(midi, AudioFormat.Flac).Bytes);
        Assert.Equal("fLaC", System.Text.Encoding.ASCII.GetString(flac.Bytes, 0, 4));
    }

    [Fact]
    public void Flac_decodes_to_exactly_the_wav_samples_and_sox_reads_both()
    {
        var midi = MidiFile.ReadFile(AudioFiles.GeneratedPiece);
        var wav = Renderer.Render(midi);
        var flac = Renderer.Render(midi, AudioFormat.Flac);
        Assert.True(flac.Bytes.Length < wav.Bytes.Length * 0.7, $"FLAC {flac.Bytes.Length} bytes vs WAV {wav.Bytes.Length}");
        var wavPath = AudioFiles.TempFile(".wav");
        var flacPath = AudioFiles.TempFile(".flac");
        try
        {
            File.WriteAllBytes(wavPath, wav.Bytes);
            File.WriteAllBytes(flacPath, flac.Bytes);
            var soxi = AudioFiles.Run("soxi", wavPath);
            Assert.Matches(@"Sample Rate\s*:\s*44100", soxi);
            Assert.Matches($@"= {wav.Frames} samples", soxi);
            Assert.Contains("16-bit Signed Integer PCM", soxi);
            Assert.Matches($@"= {flac.Frames} samples", AudioFiles.Run("soxi", flacPath));
            Assert.Equal(wav.Bytes.AsSpan(44).ToArray(), AudioFiles.DecodeWithSox(flacPath));
        }
        finally
        {
            File.Delete(wavPath);
            File.Delete(flacPath);
        }
    }

    [Fact]
    public void Bytes_that_are_not_midi_give_the_midi_format_error()
    {
        var e = Assert.Throws<MidiFormatException>(() => Renderer.Render("RIFF this is no MIDI file"u8));
        Assert.Contains("MThd", e.Message);
    }

    [Fact]
    public void A_piece_longer_than_the_render_limit_is_refused_before_any_audio_is_made()
    {
        var limited = new MidiAudioRenderer(limits: InputLimits.Default with { MaxRenderSeconds = 4 });
        limited.Render(AudioFiles.OneNote(0.5, 1, 3)); // 3 s + 1 s tail: at the limit
        var e = Assert.Throws<InputLimitExceededException>(() => limited.Render(AudioFiles.OneNote(0.5, 1, 3.5)));
        Assert.Equal("MaxRenderSeconds", e.Limit);
        Assert.Equal(5, e.Actual);
        Assert.Contains("seconds of audio to render", e.Message);
    }

    [Fact]
    public void A_missing_soundfont_is_a_clear_unavailable_error()
    {
        var e = Assert.Throws<AudioRenderingUnavailableException>(() => new MidiAudioRenderer(new AudioRenderOptions { SoundFontPath = "/nonexistent/GM.sf2" }));
        Assert.Equal("SoundFont not found at /nonexistent/GM.sf2: install fluid-soundfont-gm (Debian) or give the path of a General MIDI .sf2 file", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_soundfont_is_refused_at_render()
    {
        var notSf2 = AudioFiles.TempFile(".sf2");
        File.WriteAllText(notSf2, "not a SoundFont");
        try
        {
            var renderer = new MidiAudioRenderer(new AudioRenderOptions { SoundFontPath = notSf2 });
            var e = Assert.Throws<AudioRenderingUnavailableException>(() => renderer.Render(AudioFiles.OneNote(0, 1, 1)));
            Assert.Contains($"could not load the SoundFont at {notSf2}", e.Message);
        }
        finally
        {
            File.Delete(notSf2);
        }
    }

    [Fact]
    public void Invalid_options_are_refused_at_start_with_every_problem()
    {
        var e = Assert.Throws<ArgumentException>(() => new MidiAudioRenderer(new AudioRenderOptions { SampleRate = 1000, Gain = 0, TailSeconds = -1 }));
        Assert.Contains("SampleRate must be in [8000, 96000] (got 1000)", e.Message);
        Assert.Contains("Gain must be in (0, 10] (got 0)", e.Message);
        Assert.Contains("TailSeconds must be in [0, 10] (got -1)", e.Message);
        Assert.Throws<ArgumentException>(() => new MidiAudioRenderer(limits: InputLimits.Default with { MaxRenderSeconds = 0 }));
    }

    [Fact]
    public void Another_sample_rate_gives_that_rate_and_the_same_length_in_seconds()
    {
        var audio = new MidiAudioRenderer(new AudioRenderOptions { SampleRate = 22_050, TailSeconds = 0.5 }).Render(AudioFiles.OneNote(0.25, 0.75, 1));
        var wav = AudioFiles.ReadWav(audio.Bytes);
        Assert.Equal(22_050, wav.SampleRate);
        Assert.Equal(1.5 * 22_050, audio.Frames);
    }

    [Fact]
    public void A_cancelled_render_stops()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Renderer.Render(AudioFiles.OneNote(0, 1, 2), cancel: cancel.Token));
    }

    [Theory]
    [InlineData("song.wav", AudioFormat.Wav)]
    [InlineData("SONG.FLAC", AudioFormat.Flac)]
    [InlineData("song.mp3", null)]
    public void The_format_comes_from_the_extension(string path, AudioFormat? expected) =>
        Assert.Equal(expected, AudioFormats.FromPath(path));
}
