using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MusicGen.Server.Models;

/// <summary>A package folder as last seen on disk.</summary>
/// <param name="Directory">Full path.</param>
/// <param name="Name">The manifest's model name (the folder name when the manifest is unreadable).</param>
/// <param name="Version">The manifest's version ("?" when unreadable).</param>
/// <param name="Fingerprint">Manifest hash plus every file's name, size and write time; null when the manifest is unreadable.</param>
/// <param name="Error">Why the manifest is unreadable, else null.</param>
/// <param name="Seen">True once the registry acted on this fingerprint.</param>
/// <param name="LastWriteUtc">The latest write time of the folder and its files (a copy in progress keeps it recent).</param>
internal sealed record PackageFolder(string Directory, string Name, string Version, string? Fingerprint, string? Error, bool Seen, DateTime LastWriteUtc)
{
    /// <summary>True once loading this fingerprint failed.</summary>
    public bool Rejected { get; init; }
}

/// <summary>Finds the package folders under the models folder and tells whether their copy is complete.</summary>
internal static class PackageFolders
{
    /// <summary>Write times further in the future than this are ignored by the settle check (a skewed clock or an unpacked archive).</summary>
    private static readonly TimeSpan FutureSlack = TimeSpan.FromMinutes(1);

    /// <summary>Every folder under <paramref name="root"/> with a <c>musicgen.json</c>, by full path (hidden folders skipped).</summary>
    public static Dictionary<string, PackageFolder> Find(string root)
    {
        var result = new Dictionary<string, PackageFolder>(StringComparer.Ordinal);
        if (!System.IO.Directory.Exists(root)) return result;
        foreach (var dir in System.IO.Directory.EnumerateDirectories(root))
        {
            // Hidden folders (".name.tmp-...") are packages being written; they are looked at once renamed into place.
            if (Path.GetFileName(dir).StartsWith('.')) continue;
            var manifest = Path.Combine(dir, "musicgen.json");
            if (!File.Exists(manifest)) continue;
            DateTime lastWrite;
            string listing;
            try
            {
                (listing, lastWrite) = Listing(dir);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue; // vanished or unreadable while listing: the next scan sees it as it is then
            }
            try
            {
                var text = File.ReadAllBytes(manifest);
                using var doc = JsonDocument.Parse(text);
                var name = doc.RootElement.GetProperty("name").GetString() ?? throw new InvalidDataException("manifest: 'name' is null");
                var version = doc.RootElement.TryGetProperty("version", out var ver) ? ver.ToString() : "0";
                result[dir] = new PackageFolder(dir, name, version, Convert.ToHexString(SHA256.HashData(text)) + listing, null, false, lastWrite);
            }
            catch (Exception ex) when (ex is IOException or JsonException or KeyNotFoundException or InvalidDataException or UnauthorizedAccessException or InvalidOperationException)
            {
                result[dir] = new PackageFolder(dir, Path.GetFileName(dir), "?", null, $"manifest {manifest}: {ex.Message}", false, lastWrite);
            }
        }
        return result;
    }

    /// <summary>
    /// How much longer <paramref name="folder"/> must stay unmodified before it counts as complete: zero once its
    /// latest write is at least <paramref name="settle"/> old.
    /// </summary>
    public static TimeSpan SettlingFor(PackageFolder folder, DateTime nowUtc, TimeSpan settle)
    {
        var age = nowUtc - folder.LastWriteUtc;
        if (age < -FutureSlack) return TimeSpan.Zero;
        return age >= settle ? TimeSpan.Zero : settle - (age < TimeSpan.Zero ? TimeSpan.Zero : age);
    }

    /// <summary>Every file's name, size and write time, and the latest write time of the folder and its files.</summary>
    private static (string Listing, DateTime LastWriteUtc) Listing(string dir)
    {
        var sb = new StringBuilder();
        var last = System.IO.Directory.GetLastWriteTimeUtc(dir);
        foreach (var f in System.IO.Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(f);
            sb.Append('|').Append(info.Name).Append(':').Append(info.Length).Append(':').Append(info.LastWriteTimeUtc.Ticks);
            if (info.LastWriteTimeUtc > last) last = info.LastWriteTimeUtc;
        }
        return (sb.ToString(), last);
    }
}

/// <summary>Orders versions numerically where they parse as numbers or dotted numbers, else ordinally.</summary>
internal sealed class VersionComparer : IComparer<string>
{
    public static readonly VersionComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null) return string.CompareOrdinal(x, y);
        if (long.TryParse(x, out var a) && long.TryParse(y, out var b)) return a.CompareTo(b);
        if (System.Version.TryParse(x, out var va) && System.Version.TryParse(y, out var vb)) return va.CompareTo(vb);
        return string.CompareOrdinal(x, y);
    }
}
