using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using MusicGen.Core.Midi;

namespace MusicGen.Cli.Commands;

/// <summary>Result of <see cref="MidiFuzz.Run"/>.</summary>
internal sealed record FuzzReport(
    int Mutations, int ReadLeniently, int LenientFormatErrors, int StrictFormatErrors, int OtherExceptions,
    double SlowestMs, string SlowestWhat, double MaxAllocatedPerInputByte, long LargestInput, double PeakWorkingSetMiB,
    double TotalSeconds, IReadOnlyList<string> Failures, int Retimed = 0, double SlowestFirstMs = 0, double MeanMs = 0, double SlowestCpuMs = double.NaN)
{
    /// <summary>Passed: no exception other than MidiFormatException and every file under 100 ms.</summary>
    public bool Passed => OtherExceptions == 0 && SlowestMs < 100;

    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        var s = string.Create(inv,
            $"mutations: {Mutations}; read leniently: {ReadLeniently}; MidiFormatException: {LenientFormatErrors} lenient, {StrictFormatErrors} strict; other exceptions: {OtherExceptions}\n" +
            $"slowest file: {SlowestMs:0.00} ms ({SlowestWhat}; lenient read + musical view + write + strict read; {Retimed} re-timings of files over 20 ms, best kept; slowest first timing {SlowestFirstMs:0.00} ms, mean {MeanMs:0.000} ms); slowest thread CPU time per file {SlowestCpuMs:0.00} ms; total {TotalSeconds:0.0} s\n" +
            $"allocation: at most {MaxAllocatedPerInputByte:0.0} bytes allocated per input byte (inputs up to {LargestInput} bytes); peak working set {PeakWorkingSetMiB:0} MiB\n" +
            $"result: {(Passed ? "PASS" : "FAIL")}");
        foreach (var f in Failures) s += "\n  " + f;
        return s;
    }
}

/// <summary>Reads mutated copies of real files leniently (then builds the musical view and writes the result back)
/// and strictly; counts exceptions, time and allocation per file.</summary>
internal static class MidiFuzz
{
    public static FuzzReport Run(IReadOnlyList<byte[]> sources, IReadOnlyList<string> names, int mutations, int seed, TextWriter? progress = null)
    {
        // Warm-up (JIT) on a separate stream so that the measured run is reproducible from its seed.
        var warm = new Random(unchecked(seed * 7919 + 17));
        for (int i = 0; i < Math.Min(2000, mutations); i++)
            Once(MidiMutator.Mutate(sources[warm.Next(sources.Count)], warm, out _), out _, out _);

        var rng = new Random(seed);
        int lenientOk = 0, lenientFail = 0, strictFail = 0, other = 0;
        double slowest = 0, maxRatio = 0;
        string slowestWhat = "";
        long largest = 0;
        int retimed = 0;
        double slowestFirst = 0, sumMs = 0, slowestCpu = 0;
        var failures = new List<string>();
        var total = Stopwatch.StartNew();
        var sw = new Stopwatch();
        for (int i = 0; i < mutations; i++)
        {
            int which = rng.Next(sources.Count);
            byte[] data = MidiMutator.Mutate(sources[which], rng, out int kind);
            largest = Math.Max(largest, data.Length);
            long before = GC.GetAllocatedBytesForCurrentThread();
            double cpu0 = ThreadCpu.Milliseconds();
            sw.Restart();
            Exception? unexpected = Once(data, out bool lenientThrew, out bool strictThrew);
            double ms = sw.Elapsed.TotalMilliseconds;
            slowestCpu = Math.Max(slowestCpu, ThreadCpu.Milliseconds() - cpu0);
            slowestFirst = Math.Max(slowestFirst, ms);
            sumMs += ms;
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            // On a shared machine a thread can lose the CPU mid-file: a slow file is timed twice more, keeping the best.
            for (int retry = 0; retry < 2 && ms >= 20; retry++)
            {
                sw.Restart();
                Once(data, out _, out _);
                ms = Math.Min(ms, sw.Elapsed.TotalMilliseconds);
                retimed++;
            }
            maxRatio = Math.Max(maxRatio, (double)allocated / Math.Max(data.Length, 1024));
            if (lenientThrew) lenientFail++; else lenientOk++;
            if (strictThrew) strictFail++;
            if (ms > slowest) { slowest = ms; slowestWhat = $"mutation {i}, {MidiMutator.Kinds[kind]} of {Path.GetFileName(names[which])}, {data.Length} bytes"; }
            if (unexpected is not null)
            {
                other++;
                if (failures.Count < 20) failures.Add($"mutation {i} ({MidiMutator.Kinds[kind]} of {names[which]}): {unexpected.GetType().Name}: {unexpected.Message} at {unexpected.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}");
            }
            if (progress is not null && (i + 1) % 20000 == 0) progress.WriteLine($"  {i + 1} mutations, {other} unexpected exceptions, slowest {slowest:0.00} ms");
        }
        return new FuzzReport(mutations, lenientOk, lenientFail, strictFail, other, slowest, slowestWhat, maxRatio, largest,
            Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, total.Elapsed.TotalSeconds, failures, retimed, slowestFirst, mutations == 0 ? 0 : sumMs / mutations, ThreadCpu.Available ? slowestCpu : double.NaN);
    }

    /// <summary>Lenient read + musical view + write back, then a strict read. Returns an unexpected exception, if any.</summary>
    internal static Exception? Once(byte[] data, out bool lenientThrew, out bool strictThrew)
    {
        lenientThrew = strictThrew = false;
        try
        {
            var file = MidiFile.Read(data);
            var score = ScoreConverter.ToScore(file);
            _ = file.ToBytes();
            _ = score.EndTick;
        }
        catch (MidiFormatException) { lenientThrew = true; }
        catch (Exception e) { return e; }
        try { MidiFile.Read(data, MidiReadingSettings.Strict); }
        catch (MidiFormatException) { strictThrew = true; }
        catch (Exception e) { return e; }
        return null;
    }
}

/// <summary>Note-, tempo- and signature-level agreement between two dump JSON documents.</summary>
internal readonly record struct DumpComparison(
    long NotesReference, long NotesSame, long TemposReference, long TemposSame, long SignaturesReference, long SignaturesSame, string Summary)
{
    public static DumpComparison Compare(JsonNode ours, JsonNode reference)
    {
        var parts = new List<string>();
        foreach (var key in new[] { "format", "ticksPerQuarter" })
            if (!JsonNode.DeepEquals(ours[key], reference[key])) parts.Add($"{key} {ours[key]} vs {reference[key]}");
        var ourTracks = ours["tracks"]!.AsArray();
        var refTracks = reference["tracks"]!.AsArray();
        if (ourTracks.Count != refTracks.Count) parts.Add($"{ourTracks.Count} tracks vs {refTracks.Count}");
        long notesRef = 0, notesSame = 0;
        for (int t = 0; t < refTracks.Count; t++)
        {
            var refNotes = refTracks[t]!["notes"]!.AsArray();
            notesRef += refNotes.Count;
            if (t >= ourTracks.Count) continue;
            long same = Overlap(ourTracks[t]!["notes"]!.AsArray(), refNotes);
            notesSame += same;
            if (same != refNotes.Count || ourTracks[t]!["notes"]!.AsArray().Count != refNotes.Count)
                parts.Add($"track {t}: {ourTracks[t]!["notes"]!.AsArray().Count} notes vs {refNotes.Count}, {same} shared");
            if (!JsonNode.DeepEquals(ourTracks[t]!["name"], refTracks[t]!["name"])) parts.Add($"track {t} name {ourTracks[t]!["name"]?.ToJsonString()} vs {refTracks[t]!["name"]?.ToJsonString()}");
        }
        var refTempos = reference["tempos"]!.AsArray();
        long temposSame = Overlap(ours["tempos"]!.AsArray(), refTempos);
        if (temposSame != refTempos.Count || ours["tempos"]!.AsArray().Count != refTempos.Count) parts.Add($"tempos {ours["tempos"]!.AsArray().Count} vs {refTempos.Count}");
        var refSigs = reference["timeSignatures"]!.AsArray();
        long sigsSame = Overlap(ours["timeSignatures"]!.AsArray(), refSigs);
        if (sigsSame != refSigs.Count || ours["timeSignatures"]!.AsArray().Count != refSigs.Count) parts.Add($"time signatures {ours["timeSignatures"]!.AsArray().Count} vs {refSigs.Count}");
        return new DumpComparison(notesRef, notesSame, refTempos.Count, temposSame, refSigs.Count, sigsSame, string.Join("; ", parts));
    }

    private static long Overlap(JsonArray a, JsonArray b)
    {
        var counts = new Dictionary<string, int>();
        foreach (var x in a) { string k = Key(x); counts[k] = counts.GetValueOrDefault(k) + 1; }
        long same = 0;
        foreach (var x in b)
        {
            string k = Key(x);
            if (counts.TryGetValue(k, out int c) && c > 0) { counts[k] = c - 1; same++; }
        }
        return same;
    }

    private static string Key(JsonNode? node)
    {
        var o = node!.AsObject();
        var keys = o.Select(p => p.Key).Order(StringComparer.Ordinal);
        return string.Join(",", keys.Select(k => k + "=" + o[k]?.ToJsonString()));
    }
}

/// <summary>CPU time of the calling thread (Linux <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>): unlike wall time, it
/// does not count the time a shared machine gives to other processes.</summary>
internal static class ThreadCpu
{
    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>True where the clock can be read.</summary>
    public static bool Available { get; } = Probe();

    /// <summary>Thread CPU time in milliseconds (0 where unavailable).</summary>
    public static double Milliseconds()
    {
        if (!Available || ClockGetTime(3, out var t) != 0) return 0;
        return t.Seconds * 1e3 + t.Nanoseconds / 1e6;
    }

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { return ClockGetTime(3, out _) == 0; }
        catch (DllNotFoundException) { return false; }
        catch (EntryPointNotFoundException) { return false; }
    }
}
