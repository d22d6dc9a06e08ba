using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using MusicGen.Audio;
using MusicGen.Core.Limits;
using MusicGen.Core.Midi;

namespace MusicGen.Cli.Commands;

/// <summary><c>musicgen render</c>: MIDI to audio with FluidSynth and a General MIDI SoundFont.</summary>
public static class RenderCommand
{
    /// <summary>The <c>render</c> command.</summary>
    public static Command Create()
    {
        var defaults = AudioRenderOptions.Default;
        var file = new Argument<FileInfo>("FILE") { Description = "A Standard MIDI File (.mid)." };
        var output = new Option<FileInfo>("--out", "-o") { Description = "The audio file to write; its extension picks the format (.wav or .flac).", Required = true };
        var soundFont = new Option<string>("--soundfont") { Description = $"The SoundFont (.sf2) to play it with (default {AudioRenderOptions.DefaultSoundFontPath}).", DefaultValueFactory = _ => defaults.SoundFontPath };
        var sampleRate = new Option<int>("--sample-rate") { Description = "Frames per second, 8000 to 96000.", DefaultValueFactory = _ => defaults.SampleRate };
        var gain = new Option<double>("--gain") { Description = "FluidSynth's master gain, in (0, 10].", DefaultValueFactory = _ => defaults.Gain };
        var cmd = new Command("render", "Render a MIDI file to audio (WAV or FLAC) with FluidSynth and a General MIDI SoundFont.") { file, output, soundFont, sampleRate, gain };
        cmd.SetAction((parse, cancel) => Task.FromResult(Run(parse, () =>
        {
            var outPath = parse.GetValue(output)!.FullName;
            var format = AudioFormats.FromPath(outPath)
                ?? throw new ArgumentException($"--out {outPath}: the extension must be one of {string.Join(", ", AudioFormats.All.Select(f => "." + f.Name()))}");
            var renderer = new MidiAudioRenderer(defaults with
            {
                SoundFontPath = parse.GetValue(soundFont)!,
                SampleRate = parse.GetValue(sampleRate),
                Gain = parse.GetValue(gain),
            });
            var inPath = parse.GetValue(file)!.FullName;
            var started = Stopwatch.GetTimestamp();
            var midi = MidiFile.ReadFile(inPath);
            var audio = renderer.Render(midi, format, cancel);
            File.WriteAllBytes(outPath, audio.Bytes);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var inv = CultureInfo.InvariantCulture;
            parse.InvocationConfiguration.Output.WriteLine(string.Create(inv,
                $"wrote {outPath}: {audio.Format.Name()}, {audio.Duration.TotalSeconds:0.###} s ({audio.MidiSeconds:0.###} s of MIDI + {renderer.Options.TailSeconds:0.###} s tail), {audio.SampleRate} Hz, {audio.Channels} channels, {audio.Bytes.Length} bytes; rendered in {elapsed:0.###} s"));
            return 0;
        })));
        return cmd;
    }

    /// <summary>Bad input, a missing FluidSynth or SoundFont, or a limit: one line on stderr and exit code 1.</summary>
    private static int Run(ParseResult parse, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is AudioRenderingUnavailableException or InputLimitExceededException or MidiFormatException
                                      or ArgumentException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            parse.InvocationConfiguration.Error.WriteLine("error: " + e.Message.ReplaceLineEndings(" "));
            return 1;
        }
    }
}
