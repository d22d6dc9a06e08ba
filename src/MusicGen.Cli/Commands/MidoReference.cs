namespace MusicGen.Cli.Commands;

/// <summary>The independent reference reader used by <c>musicgen midi conform</c> and the conformance tests: a Python
/// script run by Debian's <c>/usr/bin/python3</c> with <c>python3-mido</c>.</summary>
internal static class MidoReference
{
    /// <summary>Debian's interpreter (where apt's python3-mido lives), not a pyenv python3 on PATH.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>The script: prints one JSON line per file given (or per line of stdin with the argument "-").</summary>
    public const string Script = """"
"""Independent reference for `musicgen midi dump`: reads MIDI files with mido and prints, for each file given on
the command line, one JSON line {"file": path, "dump": {...}} (same shape as the dump) or {"file": path, "error": "..."}.
Note pairing follows the rule of docs/midi.md: FIFO per track, channel and pitch; a note open at the end of its
track ends at that track's last event tick. Run with Debian's /usr/bin/python3 (python3-mido)."""
import json
import sys

import mido


def dump(path):
    mf = mido.MidiFile(path)
    tracks, tempos, sigs = [], [], []
    for index, track in enumerate(mf.tracks):
        tick, name, notes, sounding = 0, None, [], {}
        for msg in track:
            tick += msg.time
            if msg.type == 'note_on' and msg.velocity > 0:
                sounding.setdefault((msg.channel, msg.note), []).append((tick, msg.velocity))
            elif msg.type in ('note_on', 'note_off'):
                queue = sounding.get((msg.channel, msg.note))
                if queue:
                    start, velocity = queue.pop(0)
                    notes.append((start, tick, msg.channel, msg.note, velocity))
            elif msg.type == 'track_name' and name is None:
                name = msg.name
            elif msg.type == 'set_tempo':
                tempos.append({'tick': tick, 'microsecondsPerQuarter': msg.tempo})
            elif msg.type == 'time_signature':
                sigs.append({'tick': tick, 'numerator': msg.numerator, 'denominator': msg.denominator})
        for (channel, pitch), queue in sounding.items():
            for start, velocity in queue:
                notes.append((start, tick, channel, pitch, velocity))
        notes.sort(key=lambda n: (n[0], n[3], n[2], n[1], n[4]))
        tracks.append({'index': index, 'name': name, 'notes': [
            {'start': s, 'end': e, 'channel': c, 'pitch': p, 'velocity': v} for s, e, c, p, v in notes]})
    tempos.sort(key=lambda t: t['tick'])
    sigs.sort(key=lambda t: t['tick'])
    return {'format': mf.type, 'ticksPerQuarter': mf.ticks_per_beat, 'tracks': tracks, 'tempos': tempos,
            'timeSignatures': sigs}


def main():
    paths = sys.argv[1:]
    if paths == ['-']:
        paths = [line.strip() for line in sys.stdin if line.strip()]
    for path in paths:
        try:
            line = {'file': path, 'dump': dump(path)}
        except Exception as e:  # noqa: BLE001 - any failure of the reference reader is reported, not fatal
            line = {'file': path, 'error': '%s: %s' % (type(e).__name__, e)}
        print(json.dumps(line))


if __name__ == '__main__':
    main()
"""";

    /// <summary>True when <see cref="Python"/> exists and imports mido.</summary>
    public static bool IsAvailable(out string why)
    {
        if (!File.Exists(Python)) { why = $"{Python} not found"; return false; }
        try
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(Python, ["-c", "import mido"])
            { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit(30_000);
            why = p.ExitCode == 0 ? "" : $"{Python} cannot import mido (install python3-mido)";
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            why = $"{Python} cannot run: {e.Message}";
            return false;
        }
    }

    /// <summary>Runs the script on <paramref name="files"/>; returns each file's dump JSON, or null where mido failed
    /// (with mido's error in <paramref name="errors"/>).</summary>
    public static Dictionary<string, string?> Run(IReadOnlyList<string> files, Dictionary<string, string> errors, CancellationToken cancel = default)
    {
        string script = Path.Combine(Path.GetTempPath(), $"musicgen-mido-{Environment.ProcessId}-{Guid.NewGuid():N}.py");
        File.WriteAllText(script, Script);
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo(Python, [script, "-"])
            { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = System.Diagnostics.Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync(cancel);
            var writer = Task.Run(() =>
            {
                foreach (var f in files) p.StandardInput.WriteLine(f);
                p.StandardInput.Close();
            }, cancel);
            var result = new Dictionary<string, string?>();
            string? line;
            while ((line = p.StandardOutput.ReadLine()) is not null)
            {
                using var doc = System.Text.Json.JsonDocument.Parse(line);
                string file = doc.RootElement.GetProperty("file").GetString()!;
                if (doc.RootElement.TryGetProperty("dump", out var dump)) result[file] = dump.GetRawText();
                else { result[file] = null; errors[file] = doc.RootElement.GetProperty("error").GetString() ?? ""; }
            }
            writer.Wait(cancel);
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"mido reference failed (exit {p.ExitCode}): {stderr.Result.ReplaceLineEndings(" ")}");
            return result;
        }
        finally
        {
            File.Delete(script);
        }
    }
}
