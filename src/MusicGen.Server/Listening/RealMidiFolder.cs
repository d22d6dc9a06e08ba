using MusicGen.Core.Limits;
using MusicGen.Core.Midi;
using MusicGen.Core.Music;

namespace MusicGen.Server.Listening;

/// <summary>
/// The operator's folder of real MIDI files. Files are known by their path relative to the folder; they are read on
/// the server only and never served (the page gets note events of an excerpt, through the pair's endpoint).
/// </summary>
internal sealed class RealMidiFolder
{
    private RealMidiFolder(string root, IReadOnlyList<string> files)
    {
        Root = root;
        Files = files;
    }

    /// <summary>Full path of the folder.</summary>
    public string Root { get; }

    /// <summary>The MIDI files, relative to <see cref="Root"/> with '/' separators, in ordinal order.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>The <c>.mid</c>/<c>.midi</c> files under <paramref name="root"/> (recursively), relative, in ordinal order.</summary>
    public static List<string> List(string root) =>
        Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, MatchCasing = MatchCasing.CaseInsensitive })
            .Where(f => f.EndsWith(".mid", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".midi", StringComparison.OrdinalIgnoreCase))
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// Reads every MIDI file under <paramref name="path"/> once and keeps those that read and have notes (the others
    /// are logged and skipped); throws when none is usable.
    /// </summary>
    public static RealMidiFolder Open(string path, ILogger log)
    {
        var root = Path.GetFullPath(path);
        var where = $"{ListeningOptions.Section}:{nameof(ListeningOptions.RealMidiPath)}";
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"{where}: folder {root} does not exist");
        var usable = new List<string>();
        foreach (var file in List(root))
        {
            try
            {
                if (MidiScore.Load(Path.Combine(root, file)).AllNotes.Any(n => n.End > n.Start)) usable.Add(file);
                else log.LogWarning("Listening test: {File} has no notes; skipped", file);
            }
            catch (Exception ex) when (ex is MidiFormatException or IOException or InputLimitExceededException)
            {
                log.LogWarning("Listening test: {File} is unreadable ({Reason}); skipped", file, ex.Message);
            }
        }
        if (usable.Count == 0) throw new InvalidDataException($"{where}: folder {root} has no readable .mid or .midi file with notes");
        log.LogInformation("Listening test: {Count} real MIDI files in {Root}", usable.Count, root);
        return new RealMidiFolder(root, usable);
    }

    /// <summary>Reads one of <see cref="Files"/> (leniently, as the corpus pipeline does).</summary>
    public Score Load(string relative)
    {
        var full = Path.GetFullPath(Path.Combine(Root, relative));
        if (!full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"'{relative}' is not inside the real-excerpt folder", nameof(relative));
        return MidiScore.Load(full);
    }
}
