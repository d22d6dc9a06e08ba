namespace MusicGen.Core.Tests;

/// <summary>The read-only datasets in <c>../shared/datasets</c> beside the repository, when this machine has them.</summary>
internal static class SharedDatasets
{
    /// <summary>The folder of dataset <paramref name="name"/> (e.g. <c>pop909</c>), or null when it is not present.</summary>
    public static string? Find(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "..", "shared", "datasets", name);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
